package io.github.bnb4j.core.functional.transformer;

import static io.github.bnb4j.core.functional.transformer.TransformerReference.assertClose;
import static io.github.bnb4j.core.functional.transformer.TransformerReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link LastDimension} (softmax, argmax) against double-precision references and torch's tie and NaN rules, and
 * {@link TokenSampler}, on every backend (see the subclasses).
 */
abstract class LastDimensionConformance extends BackendConformance {
    private static final int[][] SHAPES = {{1, 1}, {3, 5}, {2, 4097}, {1, 32000}};
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};

    static Stream<Arguments> softmaxCases() {
        return Stream.of(FLOATS).flatMap(t -> Stream.of(FLOATS).flatMap(o -> Stream.of(SHAPES)
                .map(s -> Arguments.of(t, o, s[0], s[1]))));
    }

    @ParameterizedTest(name = "{0} to {1} {2}x{3}")
    @MethodSource("softmaxCases")
    void softmaxIsTheF32Formula(DType t, DType outType, int rows, int n) {
        float[] x = gaussian(rows * n, t, rows * 5L + n, 3);

        Tensor p = LastDimension.softmax(Tensor.fromFloats(x, t, device(), 1, rows, n), outType);

        assertEquals(outType, p.dtype());
        assertArrayEquals(new long[] {1, rows, n}, p.shape());
        double[] want = TransformerReference.softmax(x, n);
        assertClose(want, want, p.toFloatArray(), outType, "softmax");
    }

    @Test
    void softmaxOfNanOrMinusInfinityIsNan() {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor x = Tensor.fromFloats(new float[] {1, Float.NaN, 2, inf, inf, inf, 0, inf, 0}, DType.F32, device(), 3,
                3);
        float[] p = LastDimension.softmax(x, DType.F32).toFloatArray();
        for (int i = 0; i < 6; i++) {
            assertTrue(Float.isNaN(p[i]), "element " + i + " is " + p[i]);
        }
        assertArrayEquals(new float[] {0.5f, 0, 0.5f}, Arrays.copyOfRange(p, 6, 9));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("argmaxCases")
    void argmaxIsTorchArgmax(DType t, int rows, int n) {
        float[] x = gaussian(rows * n, t, rows * 3L + n, 1);
        if (n > 3) {
            x[2] = 50; // row 0: a tie between columns 2 and n - 1; the lower index wins
            x[n - 1] = 50;
        }
        if (rows > 2) {
            x[2 * n] = 1e4f; // row 2: NaN beats larger values, and the first NaN the later ones
            x[2 * n + n / 2] = Float.NaN;
            x[2 * n + n - 1] = Float.NaN;
        }

        long[] got = LastDimension.argmax(Tensor.fromFloats(x, t, device(), rows, n)).toLongArray();

        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < n; c++) {
                float a = x[r * n + c];
                float b = x[r * n + best];
                if (!Float.isNaN(b) && (Float.isNaN(a) || a > b)) {
                    best = c;
                }
            }
            assertEquals(best, got[r], "row " + r);
        }
        if (n > 3) {
            assertEquals(2, got[0]);
        }
        if (rows > 2) {
            assertEquals(n / 2, got[2]);
        }
    }

    static Stream<Arguments> argmaxCases() {
        return Stream.of(FLOATS).flatMap(t -> Stream.of(new int[] {1, 1}, new int[] {3, 5}, new int[] {4, 4097},
                new int[] {3, 32000}).map(s -> Arguments.of(t, s[0], s[1])));
    }

    @Test
    void argmaxOfAVectorIsAScalar() {
        Tensor index = LastDimension.argmax(Tensor.fromFloats(new float[] {1, 3, 2}, DType.BF16, device(), 3));
        assertEquals(0, index.rank());
        assertEquals(DType.I64, index.dtype());
        assertArrayEquals(new long[] {1}, index.toLongArray());
    }

    @Test
    void greedySamplingIsTheArgmax() {
        float[] x = gaussian(2 * 1000, DType.BF16, 3, 1);
        Tensor logits = Tensor.fromFloats(x, DType.BF16, device(), 2, 1000);
        long[] tokens = new TokenSampler(new Sampling.Greedy(), 1).next(logits);
        assertArrayEquals(LastDimension.argmax(logits).toLongArray(), tokens);
    }

    @Test
    void nucleusSamplingKeepsTransformersTopPSetAndItsProportions() {
        // probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.75 keeps the tokens whose ascending cumulative probability
        // exceeds 0.25, i.e. tokens 0 and 1, drawn 5 : 3
        double[] p = {0.5, 0.3, 0.15, 0.05};
        float[] logits = new float[4];
        for (int i = 0; i < 4; i++) {
            logits[i] = (float) Math.log(p[i]);
        }
        TokenSampler sampler = new TokenSampler(new Sampling.Nucleus(1.0, 0.75), 42);
        Tensor x = Tensor.fromFloats(logits, DType.F32, device(), 4);
        int draws = 4000;
        int[] counts = new int[4];
        for (int i = 0; i < draws; i++) {
            counts[(int) sampler.next(x)[0]]++;
        }
        assertEquals(0, counts[2] + counts[3], Arrays.toString(counts));
        double share = counts[0] / (double) draws;
        assertEquals(0.625, share, 0.03, "token 0's share, 4 standard deviations: " + Arrays.toString(counts));
    }

    @Test
    void temperatureSharpensAndSeedsRepeat() {
        float[] logits = {1, 2, 0, 1.5f};
        Tensor x = Tensor.fromFloats(logits, DType.F16, device(), 1, 4);
        long[] a = draws(new TokenSampler(new Sampling.Nucleus(0.7, 1.0), 7), x, 200);
        long[] b = draws(new TokenSampler(new Sampling.Nucleus(0.7, 1.0), 7), x, 200);
        long[] c = draws(new TokenSampler(new Sampling.Nucleus(0.7, 1.0), 8), x, 200);
        assertArrayEquals(a, b, "the same seed draws the same tokens");
        assertFalse(Arrays.equals(a, c), "another seed draws others");
        long cold = Arrays.stream(draws(new TokenSampler(new Sampling.Nucleus(0.05, 1.0), 1), x, 200))
                .filter(t -> t == 1).count();
        assertEquals(200, cold, "at temperature 0.05 the top token's probability is 1 - 5e-5");
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new Sampling.Nucleus(0, 0.9));
        assertThrows(IllegalArgumentException.class, () -> new Sampling.Nucleus(Double.NaN, 0.9));
        assertThrows(IllegalArgumentException.class, () -> new Sampling.Nucleus(1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampling.Nucleus(1, 1.5));
        assertThrows(NullPointerException.class, () -> new TokenSampler(null, 1));
        TokenSampler sampler = new TokenSampler(new Sampling.Greedy(), 1);
        assertThrows(IllegalArgumentException.class, () -> sampler.next(Tensor.zeros(DType.F32, device(), 1, 2, 3)));
        assertThrows(IllegalArgumentException.class, () -> sampler.next(Tensor.zeros(DType.F32, device(), 2, 0)));
        assertThrows(UnsupportedOperationException.class, () -> sampler.next(Tensor.zeros(DType.I32, device(), 3)));
        assertThrows(UnsupportedOperationException.class,
                () -> LastDimension.softmax(Tensor.zeros(DType.F32, device(), 3), DType.I8));
        assertThrows(IllegalArgumentException.class,
                () -> LastDimension.argmax(Tensor.zeros(DType.F32, device())));
        assertThrows(UnsupportedOperationException.class,
                () -> LastDimension.argmax(Tensor.zeros(DType.U8, device(), 4)));
    }

    private static long[] draws(TokenSampler sampler, Tensor logits, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = sampler.next(logits)[0];
        }
        return out;
    }
}
