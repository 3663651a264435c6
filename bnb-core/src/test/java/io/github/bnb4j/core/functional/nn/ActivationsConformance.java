package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertClose;
import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Activations} against double-precision references (torch's formulas), on every backend. */
abstract class ActivationsConformance extends BackendConformance {
    /** The f32 arithmetic's error allowance: the transcendentals and GELU-tanh's 1 + tanh cancellation. */
    private static final double F32_ABS = 2e-6;

    static double f(Activation a, double x) {
        return switch (a) {
            case RELU -> x > 0 ? x : 0;
            case GELU_ERF -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case TANH -> Math.tanh(x);
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /** f' in closed form, in double. */
    static double derivative(Activation a, double x) {
        return switch (a) {
            case RELU -> x > 0 ? 1 : 0;
            case GELU_ERF -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> {
                double k = Math.sqrt(2 / Math.PI);
                double t = Math.tanh(k * (x + 0.044715 * x * x * x));
                yield 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
            }
            case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
        };
    }

    /** erf to 1e-15 (Abramowitz-Stegun would be too coarse): its Taylor series, and the continued fraction tail. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double cf = 0;
            for (int n = 60; n >= 1; n--) {
                cf = n / 2.0 / (ax + cf);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + cf);
        }
        return Math.copySign(r, x);
    }

    @ParameterizedTest(name = "{0} {1} n{2}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheFormula(Activation a, DType t, int n) {
        float[] x = NnTesting.uniform(n, t, -6, 6, n * 31L + a.ordinal());
        float[] g = NnTesting.normal(n, t, 0, 1, n * 17L);
        Tensor xt = NnTesting.tensor(x, t, device(), n);
        Tensor y = Activations.forward(a, xt);
        Tensor dx = Activations.backward(a, xt, NnTesting.tensor(g, t, device(), n));

        assertEquals(t, y.dtype());
        assertArrayEquals(new long[] {n}, y.shape());
        double[] wantY = new double[n];
        double[] wantDx = new double[n];
        for (int i = 0; i < n; i++) {
            wantY[i] = f(a, x[i]);
            wantDx[i] = g[i] * derivative(a, x[i]);
        }
        assertClose(wantY, y.toFloatArray(), t, F32_ABS, a + " forward");
        assertClose(wantDx, dx.toFloatArray(), t, 4 * F32_ABS, a + " backward");
    }

    static Stream<Arguments> cases() {
        return Stream.of(Activation.values()).flatMap(a -> NnTesting.floatTypes()
                .flatMap(t -> Stream.of(1, 3, 4097).map(n -> Arguments.of(a, t, n))));
    }

    @Test
    void derivativeAgreesWithFiniteDifferences() {
        for (Activation a : Activation.values()) {
            for (double x = -4.9; x < 5; x += 0.37) {
                double h = 1e-5;
                double fd = (f(a, x + h) - f(a, x - h)) / (2 * h);
                assertEquals(fd, derivative(a, x), 1e-6, a + " f'(" + x + ")");
            }
        }
    }

    @Test
    void reluKeepsNaN() {
        Tensor y = Activations.forward(Activation.RELU,
                Tensor.fromFloats(new float[] {Float.NaN, -1, 2}, DType.F32, device(), 3));
        float[] v = y.toFloatArray();
        assertTrue(Float.isNaN(v[0]));
        assertEquals(0f, v[1]);
        assertEquals(2f, v[2]);
    }

    @ParameterizedTest(name = "{0} n{1}")
    @MethodSource("swigluCases")
    void swigluAndItsGradients(DType t, int n) {
        float[] gate = NnTesting.normal(n, t, 0, 2, n + 1L);
        float[] up = NnTesting.normal(n, t, 0, 1, n + 2L);
        float[] go = NnTesting.normal(n, t, 0, 1, n + 3L);
        Tensor gt = NnTesting.tensor(gate, t, device(), 1, n);
        Tensor ut = NnTesting.tensor(up, t, device(), 1, n);
        Tensor out = Activations.swiglu(gt, ut);
        SwigluGradients grads = Activations.swigluBackward(gt, ut, NnTesting.tensor(go, t, device(), 1, n));

        double[] want = new double[n];
        double[] wantGate = new double[n];
        double[] wantUp = new double[n];
        for (int i = 0; i < n; i++) {
            want[i] = f(Activation.SILU, gate[i]) * up[i];
            wantGate[i] = go[i] * up[i] * derivative(Activation.SILU, gate[i]);
            wantUp[i] = go[i] * f(Activation.SILU, gate[i]);
        }
        assertArrayEquals(new long[] {1, n}, out.shape());
        assertClose(want, out.toFloatArray(), t, F32_ABS * 4, "swiglu");
        assertClose(wantGate, grads.gradGate().toFloatArray(), t, F32_ABS * 4, "gradGate");
        assertClose(wantUp, grads.gradUp().toFloatArray(), t, F32_ABS * 4, "gradUp");
    }

    static Stream<Arguments> swigluCases() {
        return NnTesting.floatTypes().flatMap(t -> Stream.of(1, 5, 8, 4097).map(n -> Arguments.of(t, n)));
    }

    @Test
    void rejectsBadInput() {
        Tensor x = Tensor.fromFloats(new float[] {1, 2, 3}, DType.F32, device(), 3);
        assertMessage(UnsupportedOperationException.class,
                () -> Activations.forward(Activation.SILU, Tensor.fromInts(new int[] {1}, device(), 1)), "I32", "x");
        assertMessage(IllegalArgumentException.class, () -> Activations.backward(Activation.TANH, x,
                Tensor.fromFloats(new float[] {1, 2}, DType.F32, device(), 2)), "gradY", "[2]");
        assertMessage(IllegalArgumentException.class, () -> Activations.backward(Activation.TANH, x,
                Tensor.fromFloats(new float[] {1, 2, 3}, DType.F16, device(), 3)), "gradY", "F16");
        assertMessage(IllegalArgumentException.class,
                () -> Activations.swiglu(x, Tensor.fromFloats(new float[] {1, 2, 3, 4}, DType.F32, device(), 4)),
                "up");
        assertThrows(NullPointerException.class, () -> Activations.forward(null, x));
        Tensor closed = Tensor.fromFloats(new float[] {1}, DType.F32, device(), 1);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Activations.forward(Activation.RELU, closed));
    }

    @Test
    void takesEmptyInput() {
        Tensor y = Activations.forward(Activation.GELU_ERF, Tensor.zeros(DType.BF16, device(), 0, 7));
        assertArrayEquals(new long[] {0, 7}, y.shape());
    }
}
