package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.testing.BackendConformance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.QuantReference;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Blockwise 8-bit quantization, run unchanged against every backend (see the subclasses). */
abstract class BlockwiseConformance extends BackendConformance {
    private static final DType[] FLOAT_TYPES = {DType.F32, DType.F16, DType.BF16};
    static Stream<Arguments> referenceCases() {
        return Stream.of("f32", "f16", "bf16").flatMap(dt -> Blocksize.EIGHT_BIT.stream()
                .map(bs -> Arguments.of(dt, bs)));
    }

    @ParameterizedTest(name = "{0} bs{1}")
    @MethodSource("referenceCases")
    void reproducesUpstreamVectors(String dt, Blocksize bs) {
        String prefix = "blockwise." + dt + ".bs" + bs.value();
        float[] input = ReferenceVectors.floats("blockwise." + dt + ".input");
        float[] refAbsmax = ReferenceVectors.floats(prefix + ".absmax");
        Tensor a = ReferenceVectors.tensor("blockwise." + dt + ".input", device());

        Quantized q = Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(bs));
        assertArrayEquals(refAbsmax, plainAbsmax(q.state()).toFloatArray(), prefix + ".absmax");
        QuantReference.assertCodesMatch(CodeBooks.dynamicSigned(), input, refAbsmax, bs.value(),
                ReferenceVectors.bytes(prefix + ".codes"), q.codes().toByteArray(), prefix + ".codes");

        Tensor back = Blockwise.dequantize(q.codes(), q.state());
        assertEquals(a.dtype(), back.dtype());
        assertArrayEquals(a.shape(), back.shape());
        assertBitEqual(ReferenceVectors.floats(prefix + ".dequant"), back.toFloatArray(), prefix + ".dequant");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dtypeNames")
    void reproducesUpstreamNestedVectors(String dt) {
        String prefix = "blockwise." + dt + ".nested256";
        float[] input = ReferenceVectors.floats("blockwise." + dt + ".input");
        Tensor a = ReferenceVectors.tensor("blockwise." + dt + ".input", device());

        Quantized q = Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(Blocksize.B256)
                .withAbsmax(AbsmaxStorage.NESTED));
        QuantState s = q.state();
        assertTrue(s.isNested());
        float refOffset = ReferenceVectors.floats(prefix + ".offset")[0];
        float offset = nested(s).offset().toFloatArray()[0];
        assertEquals(refOffset, offset, Math.ulp(refOffset), prefix + ".offset");
        assertArrayEquals(ReferenceVectors.floats(prefix + ".absmax2"), plainAbsmax(nested(s).state()).toFloatArray(),
                prefix + ".absmax2");

        float[] absmax = QuantReference.absmax(input, 256);
        QuantReference.assertCodesMatch(CodeBooks.dynamicSigned(), input, absmax, 256,
                ReferenceVectors.bytes(prefix + ".codes"), q.codes().toByteArray(), prefix + ".codes");
        float[] centred = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) {
            centred[i] = absmax[i] - offset;
        }
        QuantReference.assertCodesMatch(CodeBooks.dynamicSigned(), centred,
                ReferenceVectors.floats(prefix + ".absmax2"), 256, ReferenceVectors.bytes(prefix + ".absmax_codes"),
                nested(s).codes().toByteArray(), prefix + ".absmax_codes");

        float[] ref = ReferenceVectors.floats(prefix + ".dequant");
        float[] got = Blockwise.dequantize(q.codes(), s).toFloatArray();
        for (int i = 0; i < ref.length; i++) {
            // the rebuilt absmax may differ from upstream's in the last ulp (offset), so allow 2 ulps
            // of the output dtype
            assertEquals(ref[i], got[i], 2 * ulp(ref[i], a.dtype()) + 1e-30f, prefix + ".dequant[" + i + "]");
        }
    }

    static Stream<String> dtypeNames() {
        return Stream.of("f32", "f16", "bf16");
    }

    static Stream<Arguments> oddSizes() {
        return Stream.of(1, 63, 4097, 100003).flatMap(n -> Stream.of(FLOAT_TYPES)
                .flatMap(dt -> Stream.of(Blocksize.B64, Blocksize.B256, Blocksize.B4096)
                        .map(bs -> Arguments.of(n, dt, bs))));
    }

    @ParameterizedTest(name = "n={0} {1} bs{2}")
    @MethodSource("oddSizes")
    void matchesBruteForceReferenceOnOddSizes(int n, DType dtype, Blocksize bs) {
        float[] values = gaussian(n, 7L * n + bs.value());
        Tensor a = Tensor.fromFloats(values, dtype, device(), n);
        float[] exact = a.toFloatArray(); // the values after rounding to dtype
        Quantized q = Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(bs));

        float[] absmax = QuantReference.absmax(exact, bs.value());
        assertArrayEquals(absmax, plainAbsmax(q.state()).toFloatArray());
        float[] code = CodeBooks.dynamicSigned();
        byte[] expected = new byte[n];
        for (int i = 0; i < n; i++) {
            expected[i] = (byte) QuantReference.nearest(code, QuantReference.scaled(exact[i], absmax[i / bs.value()]));
        }
        QuantReference.assertCodesMatch(code, exact, absmax, bs.value(), expected, q.codes().toByteArray(), "codes");

        float[] back = Blockwise.dequantize(q.codes(), q.state()).toFloatArray();
        byte[] codes = q.codes().toByteArray();
        for (int i = 0; i < n; i++) {
            float want = round(code[codes[i] & 0xFF] * absmax[i / bs.value()], dtype);
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(back[i]), "dequant[" + i + "]");
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void meetsUpstreamErrorBounds(DType dtype) {
        int n = 1 << 20;
        float[] normal = gaussian(n, 1);
        float[] uniform = new float[n];
        Random r = new Random(2);
        for (int i = 0; i < n; i++) {
            uniform[i] = r.nextFloat();
        }
        for (Blocksize bs : Blocksize.EIGHT_BIT) {
            double[] errN = roundTripError(normal, dtype, bs);
            assertTrue(errN[0] < 0.011 && errN[1] < 0.018, "randn " + bs + ": abs " + errN[0] + " rel " + errN[1]);
            double[] errU = roundTripError(uniform, dtype, bs);
            assertTrue(errU[0] < 0.0036 && errU[1] < 0.015, "rand " + bs + ": abs " + errU[0] + " rel " + errU[1]);
        }
    }

    @Test
    void allZeroBlockDequantizesToZero() {
        float[] values = new float[300];
        for (int i = 256; i < 300; i++) {
            values[i] = i - 280;
        }
        Quantized q = Blockwise.quantize(Tensor.fromFloats(values, DType.F32, device(), 300),
                BlockwiseOptions.defaults().withBlocksize(Blocksize.B256));
        assertEquals(0f, plainAbsmax(q.state()).toFloatArray()[0]);
        float[] back = Blockwise.dequantize(q.codes(), q.state()).toFloatArray();
        for (int i = 0; i < 256; i++) {
            assertEquals(0f, Math.abs(back[i]), "element " + i);
            assertEquals(0, q.codes().toByteArray()[i], "upstream gives code 0 for a zero block (0 * inf = NaN)");
        }
    }

    @Test
    void doesNotModifyItsInput() {
        float[] values = gaussian(5000, 3);
        Tensor a = Tensor.fromFloats(values, DType.F32, device(), 50, 100);
        Quantized q = Blockwise.quantize(a);
        assertArrayEquals(values, a.toFloatArray());
        assertArrayEquals(new long[] {50, 100}, q.codes().shape());
        assertArrayEquals(new long[] {50, 100}, Blockwise.dequantize(q.codes(), q.state()).shape());
    }

    @Test
    void customCodeBookIsUsed() {
        float[] linear = CodeBooks.createLinearMap(true, 8, true);
        Tensor code = Tensor.fromFloats(linear, DType.F32, device(), 256);
        float[] values = gaussian(1000, 4);
        Quantized q = Blockwise.quantize(Tensor.fromFloats(values, DType.F32, device(), 1000),
                BlockwiseOptions.defaults().withBlocksize(Blocksize.B64).withCode(code));
        assertArrayEquals(linear, q.state().code().toFloatArray());
        float[] absmax = QuantReference.absmax(values, 64);
        byte[] codes = q.codes().toByteArray();
        for (int i = 0; i < values.length; i++) {
            int want = QuantReference.nearest(linear, QuantReference.scaled(values[i], absmax[i / 64]));
            int got = codes[i] & 0xFF;
            assertTrue(want == got || QuantReference.nearTie(linear,
                    QuantReference.scaled(values[i], absmax[i / 64]), want, got), "element " + i);
        }
    }

    // ---- bad input -----------------------------------------------------------------------------

    @Test
    void rejectsIntegerInput() {
        Tensor a = Tensor.fromInts(new int[] {1, 2, 3}, device(), 3);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> Blockwise.quantize(a));
        assertTrue(e.getMessage().contains("I32") && e.getMessage().contains(device().toString()), e.getMessage());
    }

    @Test
    void rejectsBlocksize32() {
        Tensor a = Tensor.fromFloats(new float[64], DType.F32, device(), 64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(Blocksize.B32)));
        assertTrue(e.getMessage().contains("blocksize must be one of [64, 128, 256, 512, 1024, 2048, 4096], got 32"),
                e.getMessage());
    }

    @Test
    void rejectsBadCodeBook() {
        Tensor a = Tensor.fromFloats(new float[64], DType.F32, device(), 64);
        Tensor small = Tensor.fromFloats(new float[16], DType.F32, device(), 16);
        assertThrows(IllegalArgumentException.class,
                () -> Blockwise.quantize(a, BlockwiseOptions.defaults().withCode(small)));
    }

    @Test
    void rejectsClosedInput() {
        Tensor a = Tensor.fromFloats(new float[64], DType.F32, device(), 64);
        a.close();
        assertThrows(IllegalStateException.class, () -> Blockwise.quantize(a));
    }

    @Test
    void rejectsCodesOfTheWrongSize() {
        Quantized q = Blockwise.quantize(Tensor.fromFloats(gaussian(100, 5), DType.F32, device(), 100));
        Tensor wrong = Tensor.zeros(DType.U8, device(), 99);
        assertThrows(IllegalArgumentException.class, () -> Blockwise.dequantize(wrong, q.state()));
        Tensor notU8 = Tensor.zeros(DType.I8, device(), 100);
        assertThrows(IllegalArgumentException.class, () -> Blockwise.dequantize(notU8, q.state()));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private double[] roundTripError(float[] values, DType dtype, Blocksize bs) {
        try (Tensor a = Tensor.fromFloats(values, dtype, device(), values.length);
                Quantized q = Blockwise.quantize(a, BlockwiseOptions.defaults().withBlocksize(bs));
                Tensor back = Blockwise.dequantize(q.codes(), q.state())) {
            float[] exact = a.toFloatArray();
            float[] got = back.toFloatArray();
            double abs = 0;
            double rel = 0;
            for (int i = 0; i < exact.length; i++) {
                double d = Math.abs(exact[i] - got[i]);
                abs += d;
                rel += d / (Math.abs(exact[i]) + 1e-8);
            }
            // upstream's relative error is mean(|d| / (|x| + 1e-8)) as well
            return new double[] {abs / exact.length, rel / exact.length};
        }
    }

    private static void assertBitEqual(float[] ref, float[] got, String what) {
        for (int i = 0; i < ref.length; i++) {
            assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(got[i]), what + "[" + i + "]");
        }
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static float round(float v, DType dtype) {
        return switch (dtype) {
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(v));
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
            default -> v;
        };
    }

    private static float ulp(float v, DType dtype) {
        return switch (dtype) {
            case F16 -> Math.ulp(v) * (1 << 13);
            case BF16 -> Math.ulp(v) * (1 << 16);
            default -> Math.ulp(v);
        };
    }

    private static Tensor plainAbsmax(QuantState s) {
        return ((AbsmaxScales.Plain) s.scales()).absmax();
    }

    private static AbsmaxScales.Nested nested(QuantState s) {
        return (AbsmaxScales.Nested) s.scales();
    }
}
