package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import io.github.bnb4j.core.reproducers.CloseDuringQuantize;
import io.github.bnb4j.core.reproducers.DequantizeWithShortAbsmax;
import io.github.bnb4j.core.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

/**
 * Closing tensors while they are in use (issue 13 item 2), the crash reproducers of issue 13 run in a
 * forked JVM so that a regression fails the test instead of killing the build, and the error types of big
 * or impossible allocations.
 */
class TensorLifetimeTest {
    @Test
    void closingATensorThatAnotherThreadQuantizesNeverCrashes() {
        ForkedJvm.Result r = ForkedJvm.run(CloseDuringQuantize.class, 300, "40");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("OK 40"), r.output());
    }

    @Test
    void dequantizingWithAStateWhoseAbsmaxIsTooShortIsRejectedNotACrash() {
        ForkedJvm.Result r = ForkedJvm.run(DequantizeWithShortAbsmax.class, 120);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("REJECTED java.lang.IllegalArgumentException: scales of the 8-bit state"),
                r.output());
    }

    @Test
    void closeDuringAUseMarksClosedAtOnceAndFreesWhenTheUseEnds() {
        Tensor t = Tensor.fromFloats(new float[] {1, 2, 3}, DType.F32, Device.cpu(), 3);
        try (TensorUse use = t.acquire()) {
            t.close();
            assertTrue(t.isClosed());
            assertThrows(IllegalStateException.class, t::acquire, "no new use after close");
            assertThrows(IllegalStateException.class, t::toFloatArray);
        }
        assertThrows(IllegalStateException.class, t::acquire);
    }

    @Test
    void aFailedMultiUseEndsTheUsesItBegan() {
        Tensor open = Tensor.zeros(DType.F32, Device.cpu(), 4);
        Tensor closed = Tensor.zeros(DType.F32, Device.cpu(), 4);
        closed.close();
        assertThrows(IllegalStateException.class, () -> TensorUse.of(open, closed));
        open.close(); // had the failed TensorUse kept its use of `open`, the memory would never be freed
        assertTrue(open.isClosed());
        try (TensorUse none = TensorUse.of((Tensor) null)) {
            assertFalse(open.isView(), "null operands are skipped");
        }
    }

    @Test
    void aByteBufferKeepsTheMemoryItViewsAlive() {
        Tensor t = Tensor.fromFloats(new float[] {7, 8}, DType.F32, Device.cpu(), 2);
        ByteBuffer view = t.asByteBuffer();
        t.close();
        // the buffer's use defers the free until the buffer is unreachable, so this read is of live memory
        assertEquals(8f, view.getFloat(4));
    }

    @Test
    void failedHostAllocationIsAnOutOfMemoryErrorNotANullPointerException() {
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                () -> Tensor.empty(DType.U8, Device.cpu(), 1L << 46));
        assertTrue(e.getMessage().contains(Long.toString(1L << 46)), e.getMessage());
    }

    @Test
    void shapesThatOverflowAreIllegalArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.empty(DType.F32, Device.cpu(), 1L << 62, 4));
        assertTrue(e.getMessage().contains("[4611686018427387904, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.empty(DType.F32, Device.cpu(), 1L << 61, 1));
    }

    @Test
    void aZeroElementShapeWithHugeDimensionsIsAnEmptyTensor() {
        try (Tensor t = Tensor.empty(DType.F32, Device.cpu(), Long.MAX_VALUE, 2, 0)) {
            assertEquals(0, t.numel());
            assertEquals(0, t.byteSize());
            assertEquals(0, t.toFloatArray().length);
        }
    }

    @Test
    void tensorsOverTwoGibibytesFailClearlyInsteadOfTruncating() {
        long bytes = (1L << 31) + 16;
        // malloc reserves address space; only the pages touched below are committed
        try (Tensor big = Tensor.empty(DType.U8, Device.cpu(), bytes)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, big::asByteBuffer);
            assertTrue(e.getMessage().contains("a ByteBuffer holds at most"), e.getMessage());
            assertThrows(IllegalStateException.class, big::toByteArray);
            assertThrows(IllegalStateException.class, big::toByteBuffer);
            ByteBuffer tail = big.asByteBuffer(bytes - 16, 16);
            tail.put(15, (byte) 42);
            ByteBuffer copy = ByteBuffer.allocate(16);
            big.copyToHost(bytes - 16, copy);
            assertEquals(42, copy.get(15));
            assertThrows(IllegalArgumentException.class, () -> big.asByteBuffer(bytes - 15, 16));
        }
    }

    @Test
    void nullArgumentsThrowANullPointerExceptionNamingTheArgument() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> Tensor.empty(DType.F32, null, 2));
        assertEquals("device", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> Tensor.fromFloats(null, DType.F32, Device.cpu(), 1));
        assertEquals("values", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> Tensor.empty(DType.F32, Device.cpu(), (long[]) null));
        assertEquals("shape", e.getMessage());
        try (Tensor t = Tensor.zeros(DType.F32, Device.cpu(), 1)) {
            e = assertThrows(NullPointerException.class, () -> t.copyFrom(null));
            assertEquals("src", e.getMessage());
            e = assertThrows(NullPointerException.class, () -> new Parameter("w", null));
            assertEquals("value", e.getMessage());
        }
    }
}
