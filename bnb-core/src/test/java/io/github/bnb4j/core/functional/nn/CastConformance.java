package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.Int8Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Elementwise#cast} on every backend: every (from, to) pair of F32/F16/BF16 bit for bit against one
 * round-to-nearest-even of the f32 value (Java's {@code HalfFloats}), on odd sizes and on the hard values (ties,
 * overflow, subnormals, signed zero, NaN).
 */
abstract class CastConformance extends BackendConformance {
    /** Ties of F16 and BF16, their overflow thresholds, subnormals, infinities and a signed zero. */
    private static final float[] EDGES = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 65504f,
        65520f, -65536f, 0x1p-24f, 0x1p-25f, 0x1p-133f, -0f, 3.0e38f, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, Float.MIN_NORMAL};

    static Stream<Arguments> pairs() {
        return NnTesting.floatTypes().flatMap(from -> NnTesting.floatTypes().flatMap(
                to -> java.util.Arrays.stream(NnTesting.SIZES).mapToObj(n -> Arguments.of(from, to, n))));
    }

    @ParameterizedTest(name = "{0} -> {1}, n = {2}")
    @MethodSource("pairs")
    void castRoundsOnceToNearestEven(DType from, DType to, int n) {
        float[] x = NnTesting.normal(n, from, 0, 300, n * 31L + from.ordinal());
        System.arraycopy(EDGES, 0, x, 0, Math.min(n, EDGES.length));
        try (TensorScope scope = TensorScope.open()) {
            Tensor xt = Tensor.fromFloats(x, from, device(), n);
            float[] in = xt.toFloatArray(); // the values x holds in its own dtype
            Tensor y = Elementwise.cast(xt, to);
            assertEquals(to, y.dtype());
            assertArrayEquals(new long[] {n}, y.shape());
            assertEquals(device(), y.device());
            float[] got = y.toFloatArray();
            for (int i = 0; i < n; i++) {
                float want = Int8Reference.round(in[i], to);
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]),
                        from + " " + in[i] + " -> " + to + ": got " + got[i] + ", want " + want);
            }
            assertArrayEquals(in, xt.toFloatArray(), "the input is unchanged");
            if (from == to) {
                assertNotSame(xt, y);
            }
        }
    }

    @Test
    void nanStaysNanAndShapesAreKept() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = Tensor.fromFloats(new float[] {Float.NaN, 1f, -Float.NaN, 2f, 3f, 4f}, DType.F32, device(),
                    2, 1, 3);
            for (DType to : new DType[] {DType.F16, DType.BF16}) {
                Tensor y = Elementwise.cast(x, to);
                assertArrayEquals(new long[] {2, 1, 3}, y.shape());
                float[] back = Elementwise.cast(y, DType.F32).toFloatArray();
                assertTrue(Float.isNaN(back[0]) && Float.isNaN(back[2]), to + ": NaN stays NaN");
                assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, new float[] {back[1], back[3], back[4], back[5]});
            }
            Tensor empty = Elementwise.cast(Tensor.empty(DType.BF16, device(), 0, 5), DType.F32);
            assertArrayEquals(new long[] {0, 5}, empty.shape());
        }
    }

    @Test
    void badArgumentsNameTheDtype() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor x = Tensor.fromFloats(new float[] {1f}, DType.F32, device(), 1);
            assertMessage(UnsupportedOperationException.class, () -> Elementwise.cast(x, DType.I8), "I8", "cast");
            Tensor codes = Tensor.zeros(DType.U8, device(), 3);
            assertMessage(UnsupportedOperationException.class, () -> Elementwise.cast(codes, DType.F32), "U8", "x");
            assertMessage(NullPointerException.class, () -> Elementwise.cast(x, null), "dtype");
            assertMessage(NullPointerException.class, () -> Elementwise.cast(null, DType.F16), "x");
            x.close();
            assertMessage(IllegalStateException.class, () -> Elementwise.cast(x, DType.F16));
        }
    }
}
