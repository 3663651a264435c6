package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.DropoutMask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The activation modules, {@link Dropout} and {@link LayerNorm} on every backend against double-precision
 * references, on odd shapes and every dtype, with their bad input.
 */
abstract class PointwiseLayersConformance extends NnConformance {
    /** Odd shapes: one element, a prime row, three dimensions. */
    static final long[][] SHAPES = {{1, 1}, {3, 7}, {2, 3, 33}};

    static Stream<Arguments> cases() {
        return Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(SHAPES).map(s -> Arguments.of(t, s)));
    }

    static int numel(long[] shape) {
        int n = 1;
        for (long s : shape) {
            n *= (int) s;
        }
        return n;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void activationsMatchTheirFormulasBothWays(DType t, long[] shape) {
        int n = numel(shape);
        float[] x = gaussian(n, 11, 2, t);
        float[] g = gaussian(n, 12, 1, t);
        check(track(new ReLU()), t, shape, x, g, v -> Math.max(v, 0), v -> v > 0 ? 1 : 0);
        check(track(new Tanh()), t, shape, x, g, Math::tanh, v -> 1 - Math.tanh(v) * Math.tanh(v));
        DoubleUnaryOperator sigmoid = v -> 1 / (1 + Math.exp(-v));
        check(track(new SiLU()), t, shape, x, g, v -> v * sigmoid.applyAsDouble(v),
                v -> sigmoid.applyAsDouble(v) * (1 + v * (1 - sigmoid.applyAsDouble(v))));
        double c = Math.sqrt(2 / Math.PI);
        DoubleUnaryOperator tanhGelu = v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
        check(track(new GELU(GELU.Approximate.TANH)), t, shape, x, g, tanhGelu,
                v -> (tanhGelu.applyAsDouble(v + 1e-5) - tanhGelu.applyAsDouble(v - 1e-5)) / 2e-5);
        DoubleUnaryOperator phi = v -> Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
        GELU exact = track(new GELU());
        float[] y = exact.forward(tensor(x, t, shape)).toFloatArray();
        float[] dx = exact.backward(tensor(g, t, shape)).toFloatArray();
        for (int i = 0; i < n; i++) { // derivative of x·Φ(x) is Φ(x) + x·φ(x); Φ from y = x·Φ(x) when x is not tiny
            if (Math.abs(x[i]) > 0.5) {
                double cdf = y[i] / (double) x[i];
                assertEquals(g[i] * (cdf + x[i] * phi.applyAsDouble(x[i])), dx[i],
                        0.03 * Math.abs(g[i]) + 1e-3, "GELU' at " + x[i]);
            }
        }
    }

    private void check(ActivationModule m, DType t, long[] shape, float[] x, float[] g, DoubleUnaryOperator f,
            DoubleUnaryOperator df) {
        Tensor in = tensor(x, t, shape);
        Tensor y = m.forward(in);
        assertArrayEquals(shape, y.shape());
        assertEquals(t, y.dtype());
        float[] got = y.toFloatArray();
        float[] dx = m.backward(tensor(g, t, shape)).toFloatArray();
        double u = FLOAT_TYPES[0] == t ? 1e-6 : 2 * io.github.bnb4j.core.testing.FourBitReference.unit(t);
        for (int i = 0; i < x.length; i++) {
            double want = f.applyAsDouble(x[i]);
            assertEquals(want, got[i], 4 * u * Math.abs(want) + 1e-6, m + " f(" + x[i] + ")");
            double wantDx = g[i] * df.applyAsDouble(x[i]);
            assertEquals(wantDx, dx[i], 4 * u * Math.abs(wantDx) + 1e-4 * Math.abs(g[i]) + 1e-6,
                    m + " f'(" + x[i] + ")");
        }
        assertThrowsNaming(IllegalStateException.class, () -> m.backward(tensor(g, t, shape)),
                "backward before forward");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void dropoutDrawsAFreshSeededMaskAndBackpropagatesThroughIt(DType t, long[] shape) {
        int n = numel(shape);
        float[] x = gaussian(n, 21, 1, t);
        Dropout d = track(new Dropout(0.4f, 99));
        DropoutMask mask = d.nextMask();
        Tensor in = tensor(x, t, shape);
        float[] y = d.forward(in).toFloatArray();
        float[] want = io.github.bnb4j.core.functional.nn.Dropout.forward(in, mask).toFloatArray();
        assertArrayEquals(want, y, "the layer's mask is its nextMask");
        assertEquals(mask.next(n), d.nextMask(), "the offset advances past the mask");
        float[] dx = d.backward(in).toFloatArray();
        assertArrayEquals(want, dx, "backward applies the same mask");
        Dropout same = track(new Dropout(0.4f, 99));
        assertArrayEquals(y, same.forward(tensor(x, t, shape)).toFloatArray(), "a seeded layer repeats");
        d.eval();
        assertArrayEquals(in.toFloatArray(), d.forward(in).toFloatArray(), "eval: the identity");
        assertThrowsNaming(IllegalStateException.class, () -> d.backward(in), "Dropout (root)", "eval mode");
        d.train();
        Dropout none = track(new Dropout(0f, 1));
        Tensor copy = none.forward(in);
        assertNotEquals(in, copy);
        assertArrayEquals(x, copy.toFloatArray(), "p = 0 copies");
        assertArrayEquals(x, none.backward(in).toFloatArray());
        assertThrowsNaming(IllegalArgumentException.class, () -> new Dropout(1.5f), "p", "1.5");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void layerNormMatchesTheDoubleReferenceBothWays(DType t, long[] shape) {
        int n = numel(shape);
        int cols = (int) shape[shape.length - 1];
        int rows = n / cols;
        LayerNorm ln = track(LayerNorm.builder(cols).eps(1e-3f).dtype(t).device(device()).build());
        float[] gamma = gaussian(cols, 31, 1, t);
        float[] beta = gaussian(cols, 32, 1, t);
        ln.weight().value().copyFrom(tensor(gamma, t, cols));
        ln.bias().value().copyFrom(tensor(beta, t, cols));
        float[] x = gaussian(n, 33, 3, t);
        float[] g = gaussian(n, 34, 1, t);
        float[] y = ln.forward(tensor(x, t, shape)).toFloatArray();
        float[] dx = ln.backward(tensor(g, t, shape)).toFloatArray();
        double[] wantY = new double[n];
        double[] wantDx = new double[n];
        double[] magDx = new double[n];
        double[] gGamma = new double[cols];
        double[] gBeta = new double[cols];
        double[] magY = new double[n];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                mean += x[r * cols + c] / (double) cols;
            }
            for (int c = 0; c < cols; c++) {
                var += Math.pow(x[r * cols + c] - mean, 2) / cols;
            }
            double rstd = 1 / Math.sqrt(var + 1e-3);
            double mg = 0;
            double mgx = 0;
            for (int c = 0; c < cols; c++) {
                double xhat = (x[r * cols + c] - mean) * rstd;
                double gg = g[r * cols + c] * (double) gamma[c];
                wantY[r * cols + c] = xhat * gamma[c] + beta[c];
                magY[r * cols + c] = 4 * (Math.abs(xhat * gamma[c]) + Math.abs(beta[c]));
                mg += gg / cols;
                mgx += gg * xhat / cols;
                gGamma[c] += g[r * cols + c] * xhat;
                gBeta[c] += g[r * cols + c];
            }
            for (int c = 0; c < cols; c++) {
                double xhat = (x[r * cols + c] - mean) * rstd;
                double gg = g[r * cols + c] * (double) gamma[c];
                wantDx[r * cols + c] = rstd * (gg - mg - xhat * mgx);
                magDx[r * cols + c] = 8 * rstd * (Math.abs(gg) + Math.abs(mg) + Math.abs(xhat * mgx));
            }
        }
        assertClose(wantY, magY, y, t, "y");
        assertClose(wantDx, magDx, dx, t, "dx");
        double[] mag = new double[cols];
        java.util.Arrays.fill(mag, 4.0 * rows * 4);
        assertClose(gGamma, mag, ln.weight().parameter().grad().toFloatArray(), t, "grad(weight)");
        assertClose(gBeta, mag, ln.bias().parameter().grad().toFloatArray(), t, "grad(bias)");
    }

    @Test
    void layerNormOptionsAndBadInput() {
        LayerNorm plain = track(LayerNorm.builder(4).elementwiseAffine(false).device(device()).build());
        assertTrue(plain.parameters().isEmpty() && plain.stateDict().isEmpty());
        LayerNorm noBias = track(LayerNorm.builder(4).bias(false).device(device()).build());
        assertEquals(java.util.List.of("weight"), java.util.List.copyOf(noBias.stateDict().keySet()));
        float[] y = plain.forward(tensor(new float[] {1, 2, 3, 4}, DType.F32, 1, 4)).toFloatArray();
        double s = 1 / Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(new float[] {(float) (-1.5 * s), (float) (-0.5 * s), (float) (0.5 * s), (float) (1.5 * s)},
                y, 1e-6f);
        assertThrowsNaming(IllegalArgumentException.class,
                () -> noBias.forward(Tensor.zeros(DType.F16, device(), 2, 4)), "LayerNorm (root)", "F32", "F16");
        assertThrowsNaming(IllegalArgumentException.class,
                () -> noBias.forward(Tensor.zeros(DType.F32, device(), 2, 5)), "LayerNorm (root)", "[..., 4]");
        Tensor x = Tensor.zeros(DType.F32, device(), 2, 4);
        noBias.forward(x).close();
        assertThrowsNaming(IllegalArgumentException.class, () -> noBias.backward(Tensor.zeros(DType.F32, device(),
                3, 4)), "LayerNorm (root)", "gradOutput", "[2, 4]");
        assertThrowsNaming(IllegalArgumentException.class, () -> LayerNorm.builder(0), "normalizedShape");
        assertThrowsNaming(IllegalArgumentException.class, () -> LayerNorm.builder(3).eps(-1f), "eps");
    }
}
