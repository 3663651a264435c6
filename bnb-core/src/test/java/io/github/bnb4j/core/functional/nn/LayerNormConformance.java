package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertClose;
import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link LayerNorms} forward and backward against a double-precision reference (torch's formulas). */
abstract class LayerNormConformance extends BackendConformance {
    private static final float EPS = 1e-5f;

    static Stream<Arguments> cases() {
        int[][] shapes = {{1, 1}, {3, 5}, {4, 8}, {4097, 3}, {5, 4097}, {2, 1031}};
        return NnTesting.floatTypes().flatMap(t -> Stream.of(shapes)
                .flatMap(s -> Stream.of(true, false).map(affine -> Arguments.of(t, s[0], s[1], affine))));
    }

    @ParameterizedTest(name = "{0} {1}x{2} affine={3}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTorch(DType t, int rows, int cols, boolean affine) {
        int n = rows * cols;
        float[] x = NnTesting.normal(n, t, 3, 2, n + cols);  // away from 0: the mean matters
        float[] dy = NnTesting.normal(n, t, 0, 1, n + 1L);
        float[] w = affine ? NnTesting.normal(cols, t, 1, 0.5, cols) : null;
        float[] b = affine ? NnTesting.normal(cols, t, 0, 1, cols + 1L) : null;
        float[] gw0 = NnTesting.normal(cols, t, 0, 1, cols + 2L);
        float[] gb0 = NnTesting.normal(cols, t, 0, 1, cols + 3L);
        Tensor xt = NnTesting.tensor(x, t, device(), rows, cols);
        Tensor wt = affine ? NnTesting.tensor(w, t, device(), cols) : null;
        Tensor bt = affine ? NnTesting.tensor(b, t, device(), cols) : null;
        Tensor gw = NnTesting.tensor(gw0, t, device(), cols);
        Tensor gb = NnTesting.tensor(gb0, t, device(), cols);

        LayerNormOutput out = LayerNorms.forward(xt, wt, bt, EPS);
        Tensor dx = LayerNorms.backward(NnTesting.tensor(dy, t, device(), rows, cols), xt, wt, out,
                affine ? gw : null, affine ? gb : null);
        Tensor inference = LayerNorms.normalize(xt, wt, bt, EPS);

        double[] wantY = new double[n];
        double[] wantDx = new double[n];
        double[] wantMean = new double[rows];
        double[] wantRstd = new double[rows];
        double[] wantGw = NnTesting.toDouble(gw0);
        double[] wantGb = NnTesting.toDouble(gb0);
        double[] gwScale = new double[cols];
        double dxScale = 0;
        for (int r = 0; r < rows; r++) {
            double mu = 0;
            for (int c = 0; c < cols; c++) {
                mu += x[r * cols + c];
            }
            mu /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
            }
            double rs = 1 / Math.sqrt(var / cols + EPS);
            wantMean[r] = mu;
            wantRstd[r] = rs;
            double sg = 0;
            double sgx = 0;
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double xh = (x[i] - mu) * rs;
                double g = dy[i] * (affine ? w[c] : 1);
                wantY[i] = affine ? xh * w[c] + b[c] : xh;
                sg += g;
                sgx += g * xh;
                wantGw[c] += dy[i] * xh;
                wantGb[c] += dy[i];
                gwScale[c] += Math.abs(dy[i]) * (Math.abs(xh) + 1);
            }
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                double xh = (x[i] - mu) * rs;
                double g = dy[i] * (affine ? w[c] : 1);
                wantDx[i] = rs * (g - sg / cols - xh * sgx / cols);
                dxScale = Math.max(dxScale, rs * (Math.abs(g) + Math.abs(sg / cols) + Math.abs(xh * sgx / cols)));
            }
        }
        // f32 row sums of up to 4097 terms: a relative error of a few 1e-6 of the values summed (std 2 around 3)
        assertClose(wantY, out.y().toFloatArray(), t, 2e-5 * 4, "y");
        assertClose(wantY, inference.toFloatArray(), t, 2e-5 * 4, "y without statistics");
        assertClose(wantMean, out.mean().toFloatArray(), DType.F32, 1e-5 * 6, "mean");
        assertClose(wantRstd, out.rstd().toFloatArray(), DType.F32, 1e-5, "rstd");
        assertClose(wantDx, dx.toFloatArray(), t, 2e-5 * Math.max(1, dxScale), "gradX");
        if (affine) {
            double[] abs = new double[cols];
            for (int c = 0; c < cols; c++) {
                abs[c] = 3e-5 * (gwScale[c] + Math.abs(gw0[c]) + Math.abs(gb0[c]));
            }
            assertClose(wantGw, gw.toFloatArray(), t, abs, "gradWeight (accumulated)");
            assertClose(wantGb, gb.toFloatArray(), t, abs, "gradBias (accumulated)");
        } else {
            assertArrayEquals(gw0, gw.toFloatArray(), "no gradWeight asked, none written");
        }
        assertArrayEquals(new long[] {rows, cols}, dx.shape());
    }

    @Test
    void rejectsBadInput() {
        Tensor x = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 2, 3);
        Tensor w2 = Tensor.fromFloats(new float[] {1, 2}, DType.F32, device(), 2);
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.forward(x, w2, null, 1e-5f), "weight", "[3]");
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.forward(x, null, w2, 1e-5f), "bias");
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.forward(x, null, null, -1f), "eps", "-1");
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.normalize(x, null, null, Float.NaN), "eps");
        assertMessage(IllegalArgumentException.class,
                () -> LayerNorms.forward(Tensor.zeros(DType.F32, device(), 2, 0), null, null, 1e-5f), "last dimension");
        assertMessage(UnsupportedOperationException.class,
                () -> LayerNorms.forward(Tensor.fromInts(new int[] {1, 2}, device(), 1, 2), null, null, 1e-5f), "I32");
        LayerNormOutput saved = LayerNorms.forward(x, null, null, 1e-5f);
        Tensor gw = Tensor.fromFloats(new float[] {7, 7, 7}, DType.F32, device(), 3);
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.backward(Tensor.zeros(DType.F32, device(), 3, 2),
                x, null, saved, gw, null), "gradY");
        assertMessage(IllegalArgumentException.class, () -> LayerNorms.backward(Tensor.zeros(DType.F32, device(), 2, 3),
                x, null, saved, gw, w2), "gradBias");
        assertArrayEquals(new float[] {7, 7, 7}, gw.toFloatArray(), "nothing accumulated after an error");
    }
}
