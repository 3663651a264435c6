package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.QuantReference;
import io.github.bnb4j.core.testing.QuantileReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Quantile estimation and quantile code books, run unchanged against every backend (see the subclasses). */
abstract class QuantilesConformance extends BackendConformance {
    private static final DType[] FLOAT_TYPES = {DType.F32, DType.F16, DType.BF16};

    static Stream<Arguments> sizes() {
        // One short chunk, one whole chunk, a skipped tail, several chunks, more than one group of 64 chunks.
        return Stream.of(256, 4095, 4096, 4097, 3 * 4096 + 5, 131 * 4096 + 17)
                .flatMap(n -> Stream.of(FLOAT_TYPES).map(dt -> Arguments.of(n, dt)));
    }

    @ParameterizedTest(name = "n={0} {1}")
    @MethodSource("sizes")
    void matchesPerChunkReference(int n, DType dtype) {
        Tensor a = Tensor.fromFloats(gaussian(n, n * 31L + dtype.ordinal(), false), dtype, device(), n);
        float[] exact = a.toFloatArray(); // the values after rounding to dtype

        Tensor q = Quantiles.estimate(a);

        assertEquals(DType.F32, q.dtype());
        assertArrayEquals(new long[] {256}, q.shape());
        assertEquals(device(), q.device());
        assertBitEqual(QuantileReference.quantiles(exact, 1f / 512, 256), q.toFloatArray(), "n=" + n + " " + dtype);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floatTypes")
    void specialValuesSortAsDocumented(DType dtype) {
        int n = 5 * 4096;
        Tensor a = Tensor.fromFloats(gaussian(n, 5, true), dtype, device(), 5, 4096);
        float[] exact = a.toFloatArray();

        float[] got = Quantiles.estimate(a, 0.02, 256).toFloatArray();

        assertBitEqual(QuantileReference.quantiles(exact, 0.02f, 256), got, dtype.toString());
    }

    @ParameterizedTest(name = "k={0}")
    @ValueSource(ints = {1, 2, 3, 7, 15, 16, 127, 255, 256})
    void fewerQuantilesUseUpstreamsOffsetAndIndices(int k) {
        int n = 7 * 4096 + 100;
        Tensor a = Tensor.fromFloats(gaussian(n, k, false), DType.BF16, device(), n);
        float offset = k == 256 ? 1f / 512 : 1f / (2 * k);

        Tensor q = Quantiles.estimate(a, k);

        assertArrayEquals(new long[] {k}, q.shape());
        assertBitEqual(QuantileReference.quantiles(a.toFloatArray(), offset, k), q.toFloatArray(), "k=" + k);
    }

    @Test
    void explicitOffsetIsUsedAsGiven() {
        int n = 2 * 4096;
        Tensor a = Tensor.fromFloats(gaussian(n, 11, false), DType.F32, device(), n);

        float[] got = Quantiles.estimate(a, 1.0 / 512, 15).toFloatArray(); // upstream would switch to 1/30

        assertBitEqual(QuantileReference.quantiles(a.toFloatArray(), 1f / 512, 15), got, "offset 1/512, k=15");
    }

    /** Chunks that hold 0..4095 each: the quantiles are the pick positions themselves. */
    @Test
    void permutedRangesGiveThePickPositions() {
        int n = 3 * 4096;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) ((i * 2654435761L) % 4096); // an odd multiplier permutes each chunk
        }
        Tensor a = Tensor.fromFloats(values, DType.F32, device(), n);

        float[] got = Quantiles.estimate(a).toFloatArray();

        assertEquals(8f, got[0], "round(4095 / 512)");
        assertEquals(4087f, got[255], "round(4095 * 511 / 512)");
        for (int i = 0; i < 256; i++) {
            assertEquals(QuantileReference.position(i, 1f / 512, 4096), got[i], "quantile " + i);
        }
        assertEquals(2048f, Quantiles.estimate(a, 1).toFloatArray()[0], "the median: round(0.5 * 4095)");
    }

    @Test
    void estimateIntoWritesTheCallersTensor() {
        int n = 4 * 4096 + 1;
        Tensor a = Tensor.fromFloats(gaussian(n, 23, false), DType.F16, device(), n);
        Tensor out = Tensor.zeros(DType.F32, device(), 31);

        Quantiles.estimateInto(a, 0.01, out);

        assertBitEqual(QuantileReference.quantiles(a.toFloatArray(), 0.01f, 31), out.toFloatArray(), "into");
    }

    @Test
    void estimateIntoRejectsOutputsThatDoNotFitAndLeavesThemAlone() {
        Tensor a = Tensor.fromFloats(gaussian(4096, 29, false), DType.F32, device(), 4096);
        for (Tensor bad : new Tensor[] {Tensor.zeros(DType.F16, device(), 16), Tensor.zeros(DType.F32, device(), 257),
            Tensor.zeros(DType.F32, device(), 0)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quantiles.estimateInto(a, 0.01, bad));
            assertTrue(e.getMessage().contains("out must be an F32 tensor of 1 to 256 elements"), e.getMessage());
        }
        Tensor out = Tensor.zeros(DType.F32, device(), 8);
        assertThrows(IllegalArgumentException.class, () -> Quantiles.estimateInto(a, 0.5, out));
        Tensor tooFew = Tensor.fromFloats(new float[100], DType.F32, device(), 100);
        assertThrows(IllegalArgumentException.class, () -> Quantiles.estimateInto(tooFew, 0.01, out));
        assertArrayEquals(new float[8], out.toFloatArray(), "out untouched");
        out.close();
        assertThrows(IllegalStateException.class, () -> Quantiles.estimateInto(a, 0.01, out));
    }

    @Test
    void doesNotModifyItsInput() {
        float[] values = gaussian(4096 + 7, 3, true);
        Tensor a = Tensor.fromFloats(values, DType.F32, device(), values.length);

        Quantiles.estimate(a);

        assertBitEqual(values, a.toFloatArray(), "input");
    }

    @ParameterizedTest(name = "bits={0}")
    @ValueSource(ints = {1, 2, 4, 8})
    void quantileMapFollowsUpstream(int totalBits) {
        int n = 9 * 4096;
        Tensor a = Tensor.fromFloats(gaussian(n, totalBits, false), DType.F32, device(), n);
        int k = (1 << totalBits) - 1;
        float[] quantiles = QuantileReference.quantiles(a.toFloatArray(), 1f / (2 * k), k);
        float[] expected = new float[256];
        System.arraycopy(quantiles, 0, expected, 0, k);
        Arrays.sort(expected);
        float maxAbs = Math.max(Math.abs(expected[0]), Math.abs(expected[255]));
        for (int i = 0; i < 256; i++) {
            expected[i] /= maxAbs;
        }

        float[] map = Quantiles.createQuantileMap(a, totalBits);

        assertBitEqual(expected, map, "map");
        assertEquals(1f, Math.max(-map[0], map[255]));
        for (int i = 1; i < 256; i++) {
            assertTrue(map[i - 1] <= map[i], "ascending at " + i);
        }
    }

    /** The map is a code book Blockwise accepts: every code is the nearest entry, and dequantization inverts it. */
    @Test
    void quantileMapQuantizesAndRoundTrips() {
        int n = 20000;
        float[] values = gaussian(n, 17, false);
        Tensor a = Tensor.fromFloats(values, DType.F32, device(), n);
        float[] map = Quantiles.createQuantileMap(a, 8);
        Tensor code = Tensor.fromFloats(map, DType.F32, device(), 256);
        BlockwiseOptions options = BlockwiseOptions.defaults().withBlocksize(Blocksize.B256).withCode(code);

        Quantized q = Blockwise.quantize(a, options);
        float[] back = Blockwise.dequantize(q.codes(), q.state()).toFloatArray();

        float[] absmax = QuantReference.absmax(values, 256);
        byte[] nearest = new byte[n];
        for (int i = 0; i < n; i++) {
            nearest[i] = (byte) QuantReference.nearest(map, QuantReference.scaled(values[i], absmax[i / 256]));
        }
        byte[] codes = q.codes().toByteArray();
        QuantReference.assertCodesMatch(map, values, absmax, 256, nearest, codes, "codes");
        // A scaled value in [-1, 1] is at most half a gap from its code, or beyond the map's ends.
        float reach = Math.max(1 + map[0], 1 - map[255]);
        for (int i = 1; i < 256; i++) {
            reach = Math.max(reach, (map[i] - map[i - 1]) / 2);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(map[codes[i] & 0xFF] * absmax[i / 256], back[i], 0f, "dequantized " + i);
            assertEquals(values[i], back[i], absmax[i / 256] * reach * 1.001f, "round trip " + i);
        }
    }

    @Test
    void rejectsTooFewValues() {
        Tensor a = Tensor.fromFloats(new float[255], DType.F32, device(), 255);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantiles.estimate(a));
        assertTrue(e.getMessage().contains("at least 256 elements") && e.getMessage().contains("got 255"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantiles.createQuantileMap(a, 8));
    }

    @ParameterizedTest(name = "k={0}")
    @ValueSource(ints = {0, -1, 257, 1000})
    void rejectsQuantileCountsOutOfRange(int k) {
        Tensor a = Tensor.fromFloats(new float[4096], DType.F32, device(), 4096);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantiles.estimate(a, k));
        assertTrue(e.getMessage().contains("numQuantiles must be in [1, 256], got " + k), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Quantiles.estimate(a, 0.1, k));
    }

    @ParameterizedTest(name = "offset={0}")
    @ValueSource(doubles = {0.0, -0.1, 0.5, 0.7, Double.NaN, Double.POSITIVE_INFINITY, 1e-50})
    void rejectsOffsetsOutOfRange(double offset) {
        Tensor a = Tensor.fromFloats(new float[4096], DType.F32, device(), 4096);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantiles.estimate(a, offset, 256));
        assertTrue(e.getMessage().contains("offset must be in the open interval (0, 0.5)"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonFloatTypes")
    void rejectsNonFloatInput(DType dtype) {
        Tensor a = Tensor.empty(dtype, device(), 4096);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Quantiles.estimate(a));
        assertTrue(e.getMessage().contains(dtype.toString()) && e.getMessage().contains(device().toString()),
                e.getMessage());
    }

    @Test
    void rejectsClosedTensor() {
        Tensor a = Tensor.fromFloats(new float[4096], DType.F32, device(), 4096);
        a.close();
        assertThrows(IllegalStateException.class, () -> Quantiles.estimate(a));
        assertThrows(IllegalStateException.class, () -> Quantiles.createQuantileMap(a, 8));
    }

    @ParameterizedTest(name = "bits={0}")
    @ValueSource(ints = {0, 9, -3})
    void quantileMapRejectsBitCountsOutOfRange(int bits) {
        Tensor a = Tensor.fromFloats(gaussian(4096, 1, false), DType.F32, device(), 4096);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Quantiles.createQuantileMap(a, bits));
        assertTrue(e.getMessage().contains("totalBits must be in [1, 8], got " + bits), e.getMessage());
    }

    @Test
    void quantileMapRejectsInputsWithoutAUsableScale() {
        Tensor zeros = Tensor.fromFloats(new float[4096], DType.F32, device(), 4096);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Quantiles.createQuantileMap(zeros, 8))
                .getMessage().contains("every quantile of a is 0"));
        float[] nan = new float[4096];
        Arrays.fill(nan, Float.NaN);
        Tensor nans = Tensor.fromFloats(nan, DType.F32, device(), 4096);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Quantiles.createQuantileMap(nans, 8))
                .getMessage().contains("must be finite"));
    }

    static Stream<DType> floatTypes() {
        return Stream.of(FLOAT_TYPES);
    }

    static Stream<DType> nonFloatTypes() {
        return Stream.of(DType.U8, DType.I8, DType.I32, DType.I64);
    }

    /** Normal values; with specials also ±0, ±inf and NaNs of either sign, about 1 in 200 each. */
    private static float[] gaussian(int n, long seed, boolean specials) {
        Random rng = new Random(seed);
        float[] specialValues = {Float.NaN, Float.intBitsToFloat(0xffc00000), Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, 0f, -0f};
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int r = rng.nextInt(200 * specialValues.length);
            out[i] = specials && r < specialValues.length ? specialValues[r] : (float) rng.nextGaussian();
        }
        return out;
    }

    /** Equal bits, or both NaN (a NaN's payload is not specified). */
    private static void assertBitEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            boolean same = Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i])
                    || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
            assertTrue(same, what + ": [" + i + "] expected " + expected[i] + ", got " + actual[i]);
        }
    }
}
