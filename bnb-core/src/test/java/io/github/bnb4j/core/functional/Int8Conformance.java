package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.Int8Reference;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The int8 building blocks ({@link Int8}) against upstream's vectors and the spec's formulas, bit for bit, run
 * unchanged on every backend (see the subclasses).
 */
abstract class Int8Conformance extends BackendConformance {
    private static final int[][] QUANT_SHAPES = {{1, 1}, {1, 7}, {3, 33}, {4, 4096}, {5, 100}, {4097, 37}};
    /** M, K, N: odd sizes, K and N not multiples of 4 (cuBLASLt's padded route) beside aligned ones. */
    private static final int[][] GEMM_SHAPES = {{1, 5, 3}, {3, 33, 7}, {4, 37, 9}, {4097, 37, 5}, {2, 64, 8},
        {65, 260, 33}, {1, 4096, 4}};

    @ParameterizedTest(name = "th{0} {1}")
    @MethodSource("referenceCases")
    void reproducesUpstreamQuantization(int threshold, DType t) {
        String key = "int8.vq_th" + threshold;
        Tensor a = ReferenceVectors.tensor("int8.A", device());
        Tensor input = t == DType.F16 ? a : Tensor.fromFloats(a.toFloatArray(), t, device(), a.shape());

        Int8Quantized q = Int8.vectorwiseQuant(input, threshold);

        assertArrayEquals(ReferenceVectors.tensor(key + ".CB", device()).toByteArray(), q.codes().toByteArray(),
                key + ".CB");
        assertBitEqual(ReferenceVectors.floats(key + ".SCB"), q.rowStats().toFloatArray(), key + ".SCB");
        long[] upstream = ReferenceVectors.reader().readLongs(key + ".outlier_cols");
        if (threshold == 0) {
            assertInstanceOf(OutlierColumns.NotSearched.class, q.outliers());
            assertEquals(0, upstream.length);
        } else {
            assertArrayEquals(upstream, ((OutlierColumns.Searched) q.outliers()).toArray(), key + ".outlier_cols");
        }
    }

    static Stream<Arguments> referenceCases() {
        // f32 holds every f16 value exactly, so it must give upstream's results too
        return Stream.of(0, 6).flatMap(th -> Stream.of(DType.F16, DType.F32).map(t -> Arguments.of(th, t)));
    }

    @ParameterizedTest(name = "{0} {1}x{2} th{3}")
    @MethodSource("quantCases")
    void quantizesOddShapesAsTheFormula(DType t, int rows, int cols, int threshold) {
        float[] values = Int8Reference.activations(rows, cols, t, threshold > 0, rows * 31L + cols);
        Int8Reference.Quant want = Int8Reference.quantize(values, rows, cols, threshold);
        Tensor a = Tensor.fromFloats(values, t, device(), rows, cols);

        Int8Quantized q = Int8.vectorwiseQuant(a, threshold);

        assertArrayEquals(want.codes(), q.codes().toByteArray(), "codes");
        assertBitEqual(want.stats(), q.rowStats().toFloatArray(), "row stats");
        assertEquals(want.outliers().length, q.outliers().count(), "outlier count");
        if (threshold > 0) {
            assertArrayEquals(want.outliers(), ((OutlierColumns.Searched) q.outliers()).toArray(), "outlier columns");
            assertTrue(cols < 8 || want.outliers().length > 0, "the data has outliers");
        }
        Tensor back = Int8.vectorwiseDequant(q.codes(), q.rowStats(), t);
        float[] got = back.toFloatArray();
        for (int i = 0; i < got.length; i++) {
            float expected = Int8Reference.round(Int8Reference.dequant(want.codes()[i], want.stats()[i / cols]), t);
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got[i]), "dequant[" + i + "]");
        }
    }

    static Stream<Arguments> quantCases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(QUANT_SHAPES)
                .flatMap(s -> Stream.of(0, 6).map(th -> Arguments.of(t, s[0], s[1], th))));
    }

    @Test
    void keepsLeadingDimensionsAndTakesEmptyInput() {
        Tensor a = Tensor.fromFloats(new float[] {1, -2, 3, 4, 0, 0}, DType.F32, device(), 1, 3, 2);
        Int8Quantized q = Int8.vectorwiseQuant(a, 0);
        assertArrayEquals(new long[] {1, 3, 2}, q.codes().shape());
        assertArrayEquals(new byte[] {64, -127, 95, 127, 0, 0}, q.codes().toByteArray());
        assertArrayEquals(new float[] {2, 4, 0}, q.rowStats().toFloatArray());

        Int8Quantized empty = Int8.vectorwiseQuant(Tensor.zeros(DType.F16, device(), 0, 5), 6f);
        assertEquals(0, empty.outliers().count());
        assertEquals(0, empty.rowStats().numel());
    }

    @ParameterizedTest(name = "M{0} K{1} N{2}")
    @MethodSource("gemmShapes")
    void int8GemmIsExact(int m, int k, int n) {
        Random rng = new Random(m * 7L + k * 13L + n);
        byte[] a = randomCodes(m * k, rng);
        byte[] b = randomCodes(n * k, rng);

        Tensor c = Int8.gemm(Tensor.fromBytes(a, DType.I8, device(), m, k),
                Tensor.fromBytes(b, DType.I8, device(), n, k));

        assertArrayEquals(new long[] {m, n}, c.shape());
        assertArrayEquals(product(a, b, m, k, n), c.toIntArray());
    }

    static Stream<Arguments> gemmShapes() {
        return Stream.of(GEMM_SHAPES).map(s -> Arguments.of(s[0], s[1], s[2]));
    }

    /** A view starting at an odd byte: cuBLASLt needs 4-byte alignment, so the padded route takes it. */
    @ParameterizedTest(name = "K{0}")
    @ValueSource(ints = {33, 36})
    void int8GemmTakesUnalignedViews(int k) {
        int m = 5;
        int n = 8;
        Random rng = new Random(k);
        byte[] a = randomCodes((m + 1) * k, rng);
        byte[] b = randomCodes(n * k, rng);
        Tensor whole = Tensor.fromBytes(a, DType.I8, device(), m + 1, k);
        Tensor out = Tensor.zeros(DType.I32, device(), m, n);

        Int8.gemmInto(whole.narrow(1, m), Tensor.fromBytes(b, DType.I8, device(), n, k), out);

        byte[] tail = java.util.Arrays.copyOfRange(a, k, a.length);
        assertArrayEquals(product(tail, b, m, k, n), out.toIntArray());
    }

    @Test
    void int8GemmWithEmptyInnerSizeIsZero() {
        Tensor out = Tensor.fromInts(new int[] {5, 5}, device(), 1, 2);
        Int8.gemmInto(Tensor.zeros(DType.I8, device(), 1, 0), Tensor.zeros(DType.I8, device(), 2, 0), out);
        assertArrayEquals(new int[] {0, 0}, out.toIntArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floatTypes")
    void mmDequantIsTheFusedFormula(DType t) {
        int m = 3;
        int n = 37;
        Random rng = new Random(11);
        int[] c = new int[m * n];
        for (int i = 0; i < c.length; i++) {
            c[i] = rng.nextInt(2_000_001) - 1_000_000;
        }
        float[] row = {0.5f, 3.25f, 1e-3f};
        float[] col = new float[n];
        float[] bias = new float[n];
        for (int j = 0; j < n; j++) {
            col[j] = 0.01f + rng.nextFloat();
            bias[j] = Int8Reference.round((float) rng.nextGaussian(), t);
        }
        Tensor ct = Tensor.fromInts(c, device(), m, n);
        Tensor rowT = Tensor.fromFloats(row, DType.F32, device(), m);
        Tensor colT = Tensor.fromFloats(col, DType.F32, device(), n);

        float[] plain = Int8.mmDequant(ct, rowT, colT, t).toFloatArray();
        float[] biased = Int8.mmDequant(ct, rowT, colT, Tensor.fromFloats(bias, t, device(), n)).toFloatArray();

        for (int i = 0; i < c.length; i++) {
            float want = Int8Reference.round(Int8Reference.mmDequant(c[i], row[i / n], col[i % n], 0f), t);
            float wantBiased = Int8Reference.round(Int8Reference.mmDequant(c[i], row[i / n], col[i % n], bias[i % n]),
                    t);
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(plain[i]), "out[" + i + "]");
            assertEquals(Float.floatToIntBits(wantBiased), Float.floatToIntBits(biased[i]), "biased out[" + i + "]");
        }
    }

    @Test
    void rejectsBadInputNamingIt() {
        Tensor a = Tensor.zeros(DType.F16, device(), 4, 8);
        assertMessage(IllegalArgumentException.class, () -> Int8.vectorwiseQuant(a, -1f), "threshold", "-1.0");
        assertMessage(IllegalArgumentException.class, () -> Int8.vectorwiseQuant(a, Float.NaN), "threshold", "NaN");
        assertMessage(IllegalArgumentException.class, () -> Int8.vectorwiseQuant(a, Float.POSITIVE_INFINITY),
                "threshold", "Infinity");
        assertMessage(UnsupportedOperationException.class,
                () -> Int8.vectorwiseQuant(Tensor.zeros(DType.I32, device(), 4, 8), 0f), "I32", "vectorwiseQuant");
        assertMessage(IllegalArgumentException.class,
                () -> Int8.vectorwiseQuant(Tensor.zeros(DType.F32, device()), 0f), "a", "scalar");

        Tensor codes = Tensor.zeros(DType.I8, device(), 4, 8);
        assertMessage(IllegalArgumentException.class,
                () -> Int8.vectorwiseDequant(codes, Tensor.zeros(DType.F32, device(), 5), DType.F16), "rowStats",
                "[4]");
        assertMessage(IllegalArgumentException.class,
                () -> Int8.vectorwiseDequant(a, Tensor.zeros(DType.F32, device(), 4), DType.F16), "codes", "I8");
        assertMessage(UnsupportedOperationException.class,
                () -> Int8.vectorwiseDequant(codes, Tensor.zeros(DType.F32, device(), 4), DType.I8), "I8");

        Tensor b = Tensor.zeros(DType.I8, device(), 3, 9);
        Tensor out = Tensor.fromInts(new int[12], device(), 4, 3);
        assertMessage(IllegalArgumentException.class, () -> Int8.gemmInto(codes, b, out), "K", "[3, 9]");
        assertMessage(IllegalArgumentException.class, () -> Int8.gemm(a, b), "a", "I8");
        assertMessage(IllegalArgumentException.class,
                () -> Int8.gemmInto(codes, Tensor.zeros(DType.I8, device(), 3, 8), Tensor.zeros(DType.I32, device(), 3,
                        4)), "out", "[4, 3]");

        Tensor c = Tensor.zeros(DType.I32, device(), 4, 3);
        Tensor rows = Tensor.zeros(DType.F32, device(), 4);
        assertMessage(IllegalArgumentException.class,
                () -> Int8.mmDequant(c, rows, Tensor.zeros(DType.F32, device(), 4), DType.F16), "colStats", "[3]");
        assertMessage(IllegalArgumentException.class,
                () -> Int8.mmDequant(c, rows, Tensor.zeros(DType.F32, device(), 3),
                        Tensor.zeros(DType.F16, device(), 4)),
                "bias", "[3]");

        Tensor closed = Tensor.zeros(DType.F16, device(), 4, 8);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Int8.vectorwiseQuant(closed, 6f));
        Tensor closedB = Tensor.zeros(DType.I8, device(), 3, 8);
        closedB.close();
        assertThrows(IllegalStateException.class, () -> Int8.gemmInto(codes, closedB, out));
        assertArrayEquals(new int[12], out.toIntArray(), "out was written by a rejected call");
    }

    static Stream<DType> floatTypes() {
        return Stream.of(DType.F32, DType.F16, DType.BF16);
    }

    static <T extends Throwable> void assertMessage(Class<T> type, org.junit.jupiter.api.function.Executable call,
                                                    String... parts) {
        T e = assertThrows(type, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should name " + p);
        }
    }

    static void assertBitEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), what + "[" + i + "]: " + got[i]
                    + " vs " + want[i]);
        }
    }

    private static byte[] randomCodes(int n, Random rng) {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (rng.nextInt(255) - 127);
        }
        return v;
    }

    private static int[] product(byte[] a, byte[] b, int m, int k, int n) {
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += a[i * k + p] * b[j * k + p];
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }
}
