package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one element count of the project, and the checks a matrix product needs. */
class ShapesTest {
    @Test
    void numelIsTheProductAndOverflowIsAnIllegalArgument() {
        assertEquals(1, Shapes.numel());
        assertEquals(24, Shapes.numel(2, 3, 4));
        assertEquals(0, Shapes.numel(Long.MAX_VALUE, 2, 0), "a zero dimension wins over an overflow");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.numel(1L << 32, 1L << 32));
        assertTrue(e.getMessage().contains("[4294967296, 4294967296]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Shapes.numel(3, -1));
        assertEquals(Long.MAX_VALUE, Shapes.numel(Long.MAX_VALUE, 1));
        assertThrows(IllegalArgumentException.class, () -> Shapes.byteSize(new long[] {1L << 62}, DType.F32));
        assertEquals(12, Shapes.byteSize(new long[] {3}, DType.F32));
        assertThrows(NullPointerException.class, () -> Shapes.numel((long[]) null));
    }

    @Test
    void matmulShapesFollowTransposition() {
        try (Tensor a = Tensor.zeros(DType.F16, Device.cpu(), 6, 4);
                Tensor w = Tensor.zeros(DType.F16, Device.cpu(), 5, 4);
                Tensor out = Tensor.zeros(DType.F16, Device.cpu(), 6, 5);
                Tensor v = Tensor.zeros(DType.F16, Device.cpu(), 4)) {
            Shapes.MatmulShape s = Shapes.requireMatmul(MatrixOperand.of(a), MatrixOperand.transposed(w));
            assertEquals(new Shapes.MatmulShape(6, 4, 5), s);
            s.requireOutput(out, "out");
            assertEquals(4, MatrixOperand.transposed(w).leadingDimension());
            assertEquals(MatrixOperand.of(w), MatrixOperand.transposed(w).t());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Shapes.requireMatmul(MatrixOperand.of(a), MatrixOperand.of(w)));
            assertTrue(e.getMessage().contains("inner sizes must agree: a is [6, 4] and b is [5, 4]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.requireOutput(a, "out"));
            e = assertThrows(IllegalArgumentException.class, () -> MatrixOperand.of(v));
            assertTrue(e.getMessage().contains("must be a matrix"), e.getMessage());
        }
    }
}
