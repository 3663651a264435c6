package io.github.bnb4j.core.functional;

import static io.github.bnb4j.core.functional.Int8Conformance.assertBitEqual;
import static io.github.bnb4j.core.functional.Int8Conformance.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.Int8Reference;
import io.github.bnb4j.core.testing.Int8Reference.Quant;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LLM.int8() forward and backward ({@link Int8Matmul}) against upstream's outputs, an emulation of the algorithm
 * and the dense double-precision product, run unchanged on every backend (see the subclasses).
 */
abstract class Int8MatmulConformance extends BackendConformance {
    /** M, K, N: M = 1, 3, 4097; K and N not multiples of 4 or 32 beside aligned ones. */
    private static final int[][] SHAPES = {{1, 5, 3}, {3, 33, 7}, {4097, 37, 5}, {8, 256, 36}, {5, 130, 33}};

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void reproducesUpstreamLinear8bitLt(int threshold) {
        String key = "int8.linear_th" + threshold;
        Int8Weight w = new Int8Weight(ReferenceVectors.tensor(key + ".state_dict.weight", device()),
                ReferenceVectors.tensor(key + ".state_dict.SCB", device()));
        Tensor a = ReferenceVectors.tensor("int8.A", device());
        Tensor bias = ReferenceVectors.tensor(key + ".state_dict.bias", device());

        float[] got = Int8Matmul.matmul(a, MatmulLtState.frozen(w, threshold), bias).toFloatArray();

        float[] want = ReferenceVectors.floats(key + ".out");
        for (int i = 0; i < want.length; i++) {
            // upstream rounds the int8 and the 16-bit part to f16 before adding them; bnb4j adds in f32 and rounds
            // once, and cuBLAS may sum in another order: one f16 unit of the value, two for safety
            double ulp = Math.scalb(1.0, Math.max(-24, Math.getExponent(Math.max(Math.abs(want[i]), 6.1e-5f)) - 10));
            assertTrue(Math.abs(got[i] - want[i]) <= 2 * ulp, key + ".out[" + i + "] = " + got[i] + ", upstream "
                    + want[i]);
        }
    }

    @ParameterizedTest(name = "{0} M{1} K{2} N{3} th{4}")
    @MethodSource("cases")
    void forwardMatchesTheAlgorithmAndTheDenseProduct(DType t, int m, int k, int n, int threshold) {
        Case c = new Case(t, m, k, n, threshold, m * 1000L + k * 10L + n);
        Tensor out = Int8Matmul.matmul(c.tensor(c.a, m, k), c.state(), c.tensor(c.bias, n));
        float[] got = out.toFloatArray();
        assertArrayEquals(new long[] {m, n}, out.shape());

        Quant qa = Int8Reference.quantize(c.a, m, k, threshold);
        Quant qw = Int8Reference.quantize(c.w, n, k, 0);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += qa.codes()[i * k + p] * qw.codes()[j * k + p];
                }
                float int8Part = Int8Reference.round(Int8Reference.mmDequant((int) sum, qa.stats()[i], qw.stats()[j],
                        c.bias[j]), t);
                double outliers = 0;
                double magnitude = Math.abs(int8Part);
                double dense = c.bias[j];
                double bound = 0;
                double ea = qa.stats()[i] / 254.0 * 1.0001;
                double ew = qw.stats()[j] / 254.0 * 1.0001;
                int col = 0;
                for (int p = 0; p < k; p++) {
                    double x = c.a[i * k + p];
                    double y = c.w[j * k + p];
                    dense += x * y;
                    boolean outlier = col < qa.outliers().length && qa.outliers()[col] == p;
                    if (outlier) {
                        col++;
                        double yq = Int8Reference.round(Int8Reference.dequant(qw.codes()[j * k + p], qw.stats()[j]), t);
                        outliers += x * yq;
                        magnitude += Math.abs(x * yq);
                        bound += Math.abs(x) * (ew + Int8Reference.unit(t) * (Math.abs(y) + ew));
                    } else {
                        bound += Math.abs(x) * ew + ea * Math.abs(y) + ea * ew;
                    }
                }
                float value = got[i * n + j];
                String where = "out[" + i + "," + j + "] = " + value;
                if (qa.outliers().length == 0) {
                    assertBitEqual(new float[] {int8Part}, new float[] {value}, where + " (int8 part)");
                } else {
                    double expected = int8Part + outliers;
                    double tolerance = Int8Reference.unit(t) * Math.abs(expected)
                            + (qa.outliers().length + 3) * 0x1p-24 * magnitude + 1e-30;
                    assertTrue(Math.abs(value - expected) <= tolerance, where + ", algorithm " + expected);
                }
                // the dense product: quantization moves each term by at most half a step, the roundings to the dtype
                double denseTolerance = bound + 3 * Int8Reference.unit(t) * (Math.abs(dense) + bound + magnitude)
                        + 1e-6;
                assertTrue(Math.abs(value - dense) <= denseTolerance, where + ", dense " + dense + " within "
                        + denseTolerance);
            }
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(SHAPES)
                .flatMap(s -> Stream.of(0, 6).map(th -> Arguments.of(t, s[0], s[1], s[2], th))));
    }

    @ParameterizedTest(name = "{0} M{1} K{2} N{3} th{4}")
    @MethodSource("cases")
    void backwardMatchesDoubleReferences(DType t, int m, int k, int n, int threshold) {
        Case c = new Case(t, m, k, n, threshold, m * 7L + k * 3L + n);
        float[] g = Int8Reference.activations(m, n, t, false, m + k + n);
        Tensor gradOut = c.tensor(g, m, n);
        Tensor weight16 = c.tensor(c.w, n, k);
        MatmulLtState.Fp16Weights state = MatmulLtState.withFp16Weights(weight16, threshold);
        Quant qw = Int8Reference.quantize(c.w, n, k, 0);

        float[] gradA = Int8Matmul.inputGradient(gradOut, state).toFloatArray();
        float[] gradW = Int8Matmul.weightGradient(gradOut, c.tensor(c.a, m, k), state).toFloatArray();
        float[] gradBias = Int8Matmul.biasGradient(gradOut).toFloatArray();

        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double sum = 0;
                double magnitude = 0;
                double dense = 0;
                double bound = 0;
                for (int j = 0; j < n; j++) {
                    double y = Int8Reference.round(Int8Reference.dequant(qw.codes()[j * k + p], qw.stats()[j]), t);
                    sum += g[i * n + j] * y;
                    magnitude += Math.abs(g[i * n + j] * y);
                    dense += g[i * n + j] * (double) c.w[j * k + p];
                    bound += Math.abs(g[i * n + j]) * (qw.stats()[j] / 254.0 * 1.0001 + Int8Reference.unit(t)
                            * Math.abs(y));
                }
                double got = gradA[i * k + p];
                double tolerance = (n + 3) * 0x1p-24 * magnitude + Int8Reference.unit(t) * Math.abs(sum) + 1e-30;
                assertTrue(Math.abs(got - sum) <= tolerance, "gradA[" + i + "," + p + "] = " + got + ", " + sum);
                assertTrue(Math.abs(got - dense) <= bound + tolerance, "gradA[" + i + "," + p + "] = " + got
                        + ", dense " + dense);
            }
        }
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                double sum = 0;
                double magnitude = 0;
                for (int i = 0; i < m; i++) {
                    sum += g[i * n + j] * (double) c.a[i * k + p];
                    magnitude += Math.abs(g[i * n + j] * (double) c.a[i * k + p]);
                }
                double tolerance = (m + 3) * 0x1p-24 * magnitude + Int8Reference.unit(t) * Math.abs(sum) + 1e-30;
                assertTrue(Math.abs(gradW[j * k + p] - sum) <= tolerance, "gradW[" + j + "," + p + "]");
            }
            double sum = 0;
            double magnitude = 0;
            for (int i = 0; i < m; i++) {
                sum += g[i * n + j];
                magnitude += Math.abs(g[i * n + j]);
            }
            double tolerance = (m + 3) * 0x1p-24 * magnitude + Int8Reference.unit(t) * Math.abs(sum) + 1e-30;
            assertTrue(Math.abs(gradBias[j] - sum) <= tolerance, "gradBias[" + j + "]");
        }
    }

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void fp16WeightsRequantizeAfterAnUpdate(int threshold) {
        DType t = DType.F16;
        Case c = new Case(t, 6, 40, 10, threshold, 5);
        Tensor a = c.tensor(c.a, 6, 40);
        Tensor weight16 = c.tensor(c.w, 10, 40);
        MatmulLtState.Fp16Weights state = MatmulLtState.withFp16Weights(weight16, threshold);
        assertTrue(state.hasFp16Weights());
        float[] before = Int8Matmul.matmul(a, state).toFloatArray();
        assertArrayEquals(Int8Matmul.matmul(a, MatmulLtState.frozen(Int8Weight.quantize(weight16), threshold))
                .toFloatArray(), before);

        float[] updated = c.w.clone();
        for (int i = 0; i < updated.length; i++) {
            updated[i] = Int8Reference.round(updated[i] * -0.5f + 0.125f, t);
        }
        weight16.copyFrom(c.tensor(updated, 10, 40));
        state.requantize();

        float[] after = Int8Matmul.matmul(a, state).toFloatArray();
        assertArrayEquals(Int8Matmul.matmul(a, MatmulLtState.frozen(Int8Weight.quantize(weight16), threshold))
                .toFloatArray(), after);
        assertTrue(!java.util.Arrays.equals(before, after), "the update changed the product");
    }

    @Test
    void keepsLeadingDimensionsReusesAWorkspaceAndTakesEmptyInput() {
        Case c = new Case(DType.BF16, 6, 24, 12, 6, 9);
        MatmulLtState state = c.state();
        float[] flat = Int8Matmul.matmul(c.tensor(c.a, 6, 24), state).toFloatArray();
        Tensor out = Tensor.zeros(DType.BF16, device(), 2, 3, 12);
        try (Int8Workspace workspace = new Int8Workspace(device())) {
            try (TensorScope inner = TensorScope.open()) { // the workspace's buffers must outlive the scope
                Int8Matmul.matmulInto(c.tensor(c.a, 2, 3, 24), state, out, workspace);
            }
            assertArrayEquals(flat, out.toFloatArray());
            Tensor small = Tensor.zeros(DType.BF16, device(), 1, 12);
            Int8Matmul.matmulInto(c.tensor(java.util.Arrays.copyOf(c.a, 24), 1, 24), state, small, workspace);
            assertArrayEquals(java.util.Arrays.copyOf(flat, 12), small.toFloatArray());
            Int8Matmul.matmulInto(c.tensor(c.a, 2, 3, 24), state, out, workspace);
            assertArrayEquals(flat, out.toFloatArray());
        }
        Tensor empty = Int8Matmul.matmul(Tensor.zeros(DType.BF16, device(), 0, 24), state);
        assertArrayEquals(new long[] {0, 12}, empty.shape());
    }

    @Test
    void rejectsBadInputWithoutWritingOut() {
        Case c = new Case(DType.F16, 4, 8, 3, 6, 1);
        Int8Weight w = Int8Weight.quantize(c.tensor(c.w, 3, 8));
        MatmulLtState state = MatmulLtState.frozen(w, 6f);
        Tensor a = c.tensor(c.a, 4, 8);
        Tensor out = Tensor.fromFloats(new float[12], DType.F16, device(), 4, 3);
        Int8Workspace workspace = new Int8Workspace(device());

        assertMessage(IllegalArgumentException.class, () -> new Int8Weight(c.tensor(c.w, 3, 8), w.scb()), "cb", "I8");
        assertMessage(IllegalArgumentException.class,
                () -> new Int8Weight(w.cb(), Tensor.zeros(DType.F32, device(), 4)), "scb", "[3]");
        assertMessage(IllegalArgumentException.class, () -> MatmulLtState.frozen(w, Float.NaN), "threshold", "NaN");
        assertMessage(IllegalArgumentException.class, () -> MatmulLtState.frozen(w, -6f), "threshold", "-6.0");
        assertMessage(IllegalArgumentException.class,
                () -> Int8Matmul.matmulInto(Tensor.zeros(DType.F16, device(), 4, 9), state, out, workspace), "(9)",
                "(8)");
        assertMessage(UnsupportedOperationException.class,
                () -> Int8Matmul.matmulInto(Tensor.zeros(DType.I32, device(), 4, 8), state, out, workspace), "I32");
        assertMessage(IllegalArgumentException.class,
                () -> Int8Matmul.matmulInto(a, state, Tensor.zeros(DType.F16, device(), 4), out, workspace), "bias",
                "[3]");
        assertMessage(IllegalArgumentException.class,
                () -> Int8Matmul.matmulInto(a, state, Tensor.zeros(DType.BF16, device(), 3), out, workspace), "bias",
                "F16");
        assertMessage(IllegalArgumentException.class,
                () -> Int8Matmul.matmulInto(a, state, Tensor.zeros(DType.F16, device(), 3, 4), workspace), "out",
                "[4, 3]");
        assertMessage(IllegalArgumentException.class,
                () -> Int8Matmul.inputGradient(Tensor.zeros(DType.F16, device(), 4, 5), state), "gradOut", "(5)");
        MatmulLtState.Fp16Weights training = MatmulLtState.withFp16Weights(c.tensor(c.w, 3, 8), 0f);
        assertMessage(IllegalArgumentException.class, () -> Int8Matmul.weightGradient(
                Tensor.zeros(DType.F16, device(), 4, 3), Tensor.zeros(DType.F32, device(), 4, 8), training), "F16");
        assertMessage(IllegalArgumentException.class, () -> Int8Matmul.weightGradient(
                Tensor.zeros(DType.F16, device(), 4, 3), Tensor.zeros(DType.F16, device(), 5, 8), training),
                "leading");

        Tensor closed = c.tensor(c.a, 4, 8);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Int8Matmul.matmulInto(closed, state, out, workspace));
        workspace.close();
        assertThrows(IllegalStateException.class, () -> Int8Matmul.matmulInto(a, state, out, workspace));
        Int8Weight closedWeight = Int8Weight.quantize(c.tensor(c.w, 3, 8));
        closedWeight.close();
        assertThrows(IllegalStateException.class, () -> Int8Matmul.matmul(a, MatmulLtState.frozen(closedWeight, 0f)));
        assertArrayEquals(new float[12], out.toFloatArray(), "out was written by a rejected call");
    }

    /** One problem: activations with outliers, a weight, a bias, all rounded to the dtype. */
    private final class Case {
        final DType t;
        final float[] a;
        final float[] w;
        final float[] bias;
        final float threshold;

        Case(DType t, int m, int k, int n, float threshold, long seed) {
            this.t = t;
            this.threshold = threshold;
            a = Int8Reference.activations(m, k, t, threshold > 0, seed);
            w = Int8Reference.activations(n, k, t, false, seed + 1);
            bias = Int8Reference.activations(1, n, t, false, seed + 2);
        }

        Tensor tensor(float[] values, long... shape) {
            return Tensor.fromFloats(values, t, device(), shape);
        }

        MatmulLtState state() {
            return MatmulLtState.frozen(Int8Weight.quantize(tensor(w, bias.length, w.length / bias.length)),
                    threshold);
        }
    }
}
