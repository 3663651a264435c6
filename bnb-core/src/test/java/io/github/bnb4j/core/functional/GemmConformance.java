package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.MatrixOperand.Transpose;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Gemm} against a double-precision reference, run unchanged on every backend (see the subclasses). */
abstract class GemmConformance extends BackendConformance {
    private static final long[][] SHAPES = {{1, 1, 1}, {3, 5, 7}, {37, 129, 70}, {1, 4097, 3}, {65, 260, 33}};

    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(Transpose.values())
                .flatMap(ta -> Stream.of(Transpose.values()).flatMap(tb -> Stream.of(SHAPES)
                        .map(s -> Arguments.of(t, ta, tb, s[0], s[1], s[2])))));
    }

    @ParameterizedTest(name = "{0} {1}/{2} M{3} K{4} N{5}")
    @MethodSource("cases")
    void matchesDoubleReference(DType t, Transpose ta, Transpose tb, long m, long k, long n) {
        Random rng = new Random(m * 31 + k * 7 + n);
        Operand a = Operand.random(t, ta == Transpose.NONE ? new long[] {m, k} : new long[] {k, m}, rng);
        Operand b = Operand.random(t, tb == Transpose.NONE ? new long[] {k, n} : new long[] {n, k}, rng);
        Operand before = Operand.random(t, new long[] {m, n}, rng);
        Tensor out = Tensor.fromFloats(before.values, t, device(), m, n);

        Gemm.gemmInto(new MatrixOperand(a.on(device()), ta), new MatrixOperand(b.on(device()), tb), 0.75f, -0.5f, out);

        float[] got = out.toFloatArray();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta == Transpose.NONE ? a.values[(int) (i * k + p)] : a.values[(int) (p * m + i)];
                    double y = tb == Transpose.NONE ? b.values[(int) (p * n + j)] : b.values[(int) (j * k + p)];
                    sum += x * y;
                    magnitude += Math.abs(x * y);
                }
                double old = before.values[(int) (i * n + j)];
                double expected = 0.75 * sum - 0.5 * old;
                double tolerance = (k + 3) * 0x1p-24 * (0.75 * magnitude + 0.5 * Math.abs(old))
                        + unit(t) * Math.abs(expected) + 1e-30;
                double error = Math.abs(got[(int) (i * n + j)] - expected);
                assertTrue(error <= tolerance, "out[" + i + "," + j + "] = " + got[(int) (i * n + j)] + ", expected "
                        + expected + " within " + tolerance);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floatTypes")
    void linearAddsBiasOverLeadingDimensions(DType t) {
        Random rng = new Random(3);
        Operand x = Operand.random(t, new long[] {2, 3, 17}, rng);
        Operand w = Operand.random(t, new long[] {5, 17}, rng);
        Operand bias = Operand.random(t, new long[] {5}, rng);

        Tensor out = Gemm.linear(x.on(device()), w.on(device()), bias.on(device()));

        assertArrayEquals(new long[] {2, 3, 5}, out.shape());
        float[] got = out.toFloatArray();
        for (int r = 0; r < 6; r++) {
            for (int j = 0; j < 5; j++) {
                double sum = bias.values[j];
                double magnitude = Math.abs(bias.values[j]);
                for (int p = 0; p < 17; p++) {
                    sum += (double) x.values[r * 17 + p] * w.values[j * 17 + p];
                    magnitude += Math.abs((double) x.values[r * 17 + p] * w.values[j * 17 + p]);
                }
                double tolerance = 20 * 0x1p-24 * magnitude + unit(t) * Math.abs(sum) + 1e-30;
                assertTrue(Math.abs(got[r * 5 + j] - sum) <= tolerance, "out row " + r + " col " + j);
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInOut() {
        Tensor a = Tensor.fromFloats(new float[] {1, 2}, DType.F32, device(), 2, 1);
        Tensor b = Tensor.fromFloats(new float[] {3, 4}, DType.F32, device(), 1, 2);
        Tensor out = Tensor.fromFloats(new float[] {Float.NaN, Float.NaN, Float.NaN, Float.NaN}, DType.F32, device(),
                2, 2);
        Gemm.gemmInto(MatrixOperand.of(a), MatrixOperand.of(b), 1f, 0f, out);
        assertArrayEquals(new float[] {3, 4, 6, 8}, out.toFloatArray());
    }

    @Test
    void rejectsBadInputWithoutWritingOut() {
        Tensor a = Tensor.zeros(DType.F32, device(), 4, 3);
        Tensor b = Tensor.zeros(DType.F32, device(), 5, 3);
        Tensor out = Tensor.fromFloats(new float[20], DType.F32, device(), 4, 5);
        float[] untouched = out.toFloatArray();
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemmInto(MatrixOperand.of(a), MatrixOperand.of(b), 1f, 0f, out), "K 3 vs 5");
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemmInto(MatrixOperand.of(a), MatrixOperand.transposed(b), Float.NaN, 0f, out), "NaN alpha");
        assertThrows(IllegalArgumentException.class, () -> Gemm.gemmInto(MatrixOperand.of(a),
                MatrixOperand.transposed(b), 1f, 0f, Tensor.zeros(DType.F32, device(), 5, 4)), "out shape");
        assertThrows(IllegalArgumentException.class, () -> Gemm.gemmInto(MatrixOperand.of(a),
                MatrixOperand.transposed(b), 1f, 0f, Tensor.zeros(DType.F32, device(), 4), out), "bias shape");
        assertThrows(IllegalArgumentException.class, () -> Gemm.gemmInto(MatrixOperand.of(a),
                MatrixOperand.transposed(b), 1f, 0f, Tensor.zeros(DType.BF16, device(), 5), out), "bias dtype");
        assertThrows(IllegalArgumentException.class, () -> Gemm.linear(a, Tensor.zeros(DType.F16, device(), 5, 3)),
                "mixed dtypes");
        assertThrows(IllegalArgumentException.class, () -> Gemm.matmul(MatrixOperand.of(Tensor.zeros(DType.F32,
                device(), 2, 0)), MatrixOperand.of(Tensor.zeros(DType.F32, device(), 0, 2))), "K = 0");
        assertThrows(UnsupportedOperationException.class, () -> Gemm.linear(Tensor.zeros(DType.I32, device(), 2, 3),
                Tensor.zeros(DType.I32, device(), 4, 3)), "I32");
        NullPointerException npe = assertThrows(NullPointerException.class, () -> Gemm.linear(a, null));
        assertTrue(npe.getMessage().contains("weight"), npe.getMessage());
        Tensor closed = Tensor.zeros(DType.F32, device(), 5, 3);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Gemm.linear(a, closed), "closed weight");
        assertArrayEquals(untouched, out.toFloatArray());
    }

    static Stream<DType> floatTypes() {
        return Stream.of(DType.F32, DType.F16, DType.BF16);
    }

    /** Relative precision of one rounding to t. */
    private static double unit(DType t) {
        return t == DType.F32 ? 0x1p-24 : t == DType.F16 ? 0x1p-11 : 0x1p-8;
    }

    /** Random values already rounded to the dtype, so the reference sees what the kernel reads. */
    private record Operand(DType dtype, long[] shape, float[] values) {
        static Operand random(DType t, long[] shape, Random rng) {
            int n = (int) (shape.length == 1 ? shape[0] : java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y));
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) rng.nextGaussian();
            }
            try (Tensor rounded = Tensor.fromFloats(v, t, io.github.bnb4j.core.Device.cpu(), n)) {
                return new Operand(t, shape, rounded.toFloatArray());
            }
        }

        Tensor on(io.github.bnb4j.core.Device d) {
            return Tensor.fromFloats(values, dtype, d, shape);
        }
    }
}
