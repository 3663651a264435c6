package io.github.bnb4j.core.functional.transformer;

import static io.github.bnb4j.core.functional.transformer.TransformerReference.assertClose;
import static io.github.bnb4j.core.functional.transformer.TransformerReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.Int8Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RmsNorm} against a double-precision LlamaRMSNorm, run unchanged on every backend (see the subclasses). */
abstract class RmsNormConformance extends BackendConformance {
    private static final int[][] SHAPES = {{1, 1}, {3, 7}, {2, 4096}, {1, 4097}, {33, 64}};
    private static final float EPS = 1e-5f;

    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(SHAPES)
                .map(s -> Arguments.of(t, s[0], s[1])));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void forwardIsLlamaRmsNorm(DType t, int rows, int n) {
        float[] x = gaussian(rows * n, t, rows * 31L + n, 2);
        float[] w = gaussian(n, t, n, 1);
        Tensor xt = Tensor.fromFloats(x, t, device(), 1, rows, n);

        Tensor out = RmsNorm.forward(xt, Tensor.fromFloats(w, t, device(), n), EPS);

        assertArrayEquals(new long[] {1, rows, n}, out.shape());
        double[][] want = TransformerReference.rmsNorm(x, w, n, EPS, t);
        assertClose(want[0], want[1], out.toFloatArray(), t, "rmsNorm");
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void backwardIsTheGradient(DType t, int rows, int n) {
        float[] x = gaussian(rows * n, t, rows * 7L + n, 2);
        float[] w = gaussian(n, t, n + 1, 1);
        float[] g = gaussian(rows * n, t, rows * 3L + n, 1);
        Tensor xt = Tensor.fromFloats(x, t, device(), rows, n);
        Tensor wt = Tensor.fromFloats(w, t, device(), n);

        RmsNormGradients grads = RmsNorm.backward(Tensor.fromFloats(g, t, device(), rows, n), xt, wt, EPS);

        double[][] want = TransformerReference.rmsNormBackward(g, x, w, n, EPS, t);
        assertClose(want[0], want[1], grads.input().toFloatArray(), t, "grad x");
        assertClose(want[2], want[3], grads.weight().toFloatArray(), t, "grad weight");
    }

    @Test
    void backwardAccumulatesTheWeightGradient() {
        DType t = DType.BF16;
        int rows = 5;
        int n = 96;
        float[] x = gaussian(rows * n, t, 1, 1);
        float[] w = gaussian(n, t, 2, 1);
        float[] g = gaussian(rows * n, t, 3, 1);
        float[] before = gaussian(n, t, 4, 1);
        Tensor accumulated = Tensor.fromFloats(before, t, device(), n);

        Tensor gradX = RmsNorm.backwardAccumulating(Tensor.fromFloats(g, t, device(), rows, n),
                Tensor.fromFloats(x, t, device(), rows, n), Tensor.fromFloats(w, t, device(), n), EPS, accumulated);

        double[][] want = TransformerReference.rmsNormBackward(g, x, w, n, EPS, t);
        double[] sum = new double[n];
        double[] scale = new double[n];
        for (int c = 0; c < n; c++) {
            sum[c] = before[c] + want[2][c];
            scale[c] = Math.abs(before[c]) + want[3][c];
        }
        assertClose(sum, scale, accumulated.toFloatArray(), t, "accumulated grad weight");
        assertClose(want[0], want[1], gradX.toFloatArray(), t, "grad x");
    }

    @Test
    void forwardIntoWorksInPlace() {
        DType t = DType.F16;
        float[] x = gaussian(4 * 33, t, 5, 3);
        Tensor w = Tensor.fromFloats(gaussian(33, t, 6, 1), t, device(), 33);
        Tensor separate = RmsNorm.forward(Tensor.fromFloats(x, t, device(), 4, 33), w, EPS);
        Tensor inPlace = Tensor.fromFloats(x, t, device(), 4, 33);

        RmsNorm.forwardInto(inPlace, w, EPS, inPlace);

        assertArrayEquals(separate.toShortArray(), inPlace.toShortArray());
    }

    @Test
    void matchesTransformersRoundingOrder() {
        // weight · dtype(x · rstd), not dtype(weight · x · rstd): with weight 3 and one bf16 rounding in between,
        // the two orders differ for this row; the result must be the first.
        DType t = DType.BF16;
        float[] x = {1.0f, 1.0078125f, 0.9921875f, 1.0f};
        float[] w = {3, 3, 3, 3};
        Tensor out = RmsNorm.forward(Tensor.fromFloats(x, t, device(), 1, 4), Tensor.fromFloats(w, t, device(), 4),
                0f);
        double rstd = TransformerReference.rstd(x, 0, 4, 0);
        float[] got = out.toFloatArray();
        int differ = 0;
        for (int c = 0; c < 4; c++) {
            float h = Int8Reference.round((float) (x[c] * rstd), t);
            float want = Int8Reference.round(3 * h, t);
            assertTrue(got[c] == want, "element " + c + ": " + got[c] + ", want " + want);
            differ += want != Int8Reference.round((float) (3 * x[c] * rstd), t) ? 1 : 0;
        }
        assertTrue(differ > 0, "the case must tell the two orders apart");
    }

    @Test
    void rejectsBadInputWritingNothing() {
        Tensor x = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 2, 3);
        Tensor w = Tensor.fromFloats(new float[] {1, 1, 1}, DType.F32, device(), 3);
        Tensor out = Tensor.fromFloats(new float[] {9, 9, 9, 9, 9, 9}, DType.F32, device(), 2, 3);
        assertThrows(IllegalArgumentException.class, () -> RmsNorm.forwardInto(x, w, -1f, out));
        assertThrows(IllegalArgumentException.class, () -> RmsNorm.forwardInto(x, w, Float.NaN, out));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.forwardInto(x, Tensor.zeros(DType.F32, device(), 2), 1e-5f, out));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.forwardInto(x, Tensor.zeros(DType.BF16, device(), 3), 1e-5f, out));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.forwardInto(x, w, 1e-5f, Tensor.zeros(DType.F32, device(), 3, 2)));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.forward(Tensor.zeros(DType.F32, device(), 2, 0), Tensor.zeros(DType.F32, device(), 0),
                        1e-5f));
        assertThrows(UnsupportedOperationException.class,
                () -> RmsNorm.forward(Tensor.zeros(DType.I8, device(), 2, 3), w, 1e-5f));
        assertThrows(IllegalArgumentException.class,
                () -> RmsNorm.backward(Tensor.zeros(DType.F32, device(), 3, 2), x, w, 1e-5f));
        assertThrows(NullPointerException.class, () -> RmsNorm.forward(x, null, 1e-5f));
        assertArrayEquals(new float[] {9, 9, 9, 9, 9, 9}, out.toFloatArray(), "out after the failures");
        w.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> RmsNorm.forwardInto(x, w, 1e-5f, out));
        assertTrue(closed.getMessage() != null && !closed.getMessage().isEmpty());
        assertArrayEquals(new float[] {9, 9, 9, 9, 9, 9}, out.toFloatArray(), "out after the failures");
        assertTrue(Arrays.equals(new long[] {2, 3}, x.shape()));
    }
}
