package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.github.bnb4j.core.safetensors.SafetensorsReader;

/**
 * Code books against the upstream reference vectors (bit-exact) and, where upstream has no vector, against
 * closed forms and the properties upstream's {@code test_few_bit_quant} checks.
 */
class CodeBooksTest {
    private static SafetensorsReader reference;

    @BeforeAll
    static void openReference() throws IOException, URISyntaxException {
        URL url = CodeBooksTest.class.getResource("/bnb-reference-public.safetensors");
        assertNotNull(url, "bnb-reference-public.safetensors must be on the test class path");
        reference = SafetensorsReader.open(Path.of(url.toURI()));
    }

    @AfterAll
    static void closeReference() throws IOException {
        reference.close();
    }

    @Test
    void dynamicSignedMatchesReferenceBitExactly() {
        float[] expected = reference.readFloats("maps.dynamic_signed");
        assertBitExact(expected, CodeBooks.createDynamicMap(true, 7, 8));
        assertBitExact(expected, CodeBooks.dynamicSigned());
        assertBitExact(expected, CodeBooks.createDynamicMap(true));
    }

    @Test
    void dynamicUnsignedMatchesReferenceBitExactly() {
        float[] expected = reference.readFloats("maps.dynamic_unsigned");
        assertBitExact(expected, CodeBooks.createDynamicMap(false, 7, 8));
        assertBitExact(expected, CodeBooks.dynamicUnsigned());
    }

    @Test
    void dynamicSignedLayoutIsAsDocumented() {
        float[] code = CodeBooks.dynamicSigned();
        assertEquals(-0.99296874f, code[0], "there is no -1");
        assertEquals(0f, code[127]);
        assertEquals(1f, code[255]);
        for (int i = 0; i < 127; i++) {
            assertEquals(-code[128 + i], code[126 - i], "negatives mirror the positives below 1, index " + i);
        }
    }

    @Test
    void nf4MatchesReferenceBitExactly() {
        assertBitExact(reference.readFloats("maps.nf4"), CodeBooks.nf4());
    }

    @Test
    void fp4MatchesReferenceBitExactly() {
        float[] fp4 = CodeBooks.fp4();
        assertBitExact(reference.readFloats("maps.fp4"), fp4);
        assertEquals(0.0052083335f, fp4[1]);
        assertEquals(-1f, fp4[11]);
    }

    /**
     * Bit-exact: Φ⁻¹ is a port of the Cephes ndtri that scipy uses, so the doubles agree with scipy's, and the
     * later float32 rounding, sort and division are exact IEEE operations.
     */
    @Test
    void normalDefaultMatchesReferenceBitExactly() {
        float[] expected = reference.readFloats("maps.normal_default");
        assertBitExact(expected, CodeBooks.createNormalMap(CodeBooks.DEFAULT_NORMAL_OFFSET, true));
        assertBitExact(expected, CodeBooks.createNormalMap());
    }

    @Test
    void nf4IsTheNonZeroPartOfTheNormalMap() {
        float[] normal = CodeBooks.createNormalMap();
        float[] nf4 = CodeBooks.nf4();
        for (int i = 0; i < 7; i++) {
            assertEquals(normal[i], nf4[i], "negative side, index " + i);
        }
        assertEquals(normal[127], nf4[7]);
        for (int i = 0; i < 8; i++) {
            assertEquals(normal[248 + i], nf4[8 + i], "positive side, index " + i);
        }
    }

    @Test
    void normalMapWithoutExtraValueIsSymmetric() {
        float[] code = CodeBooks.createNormalMap(CodeBooks.DEFAULT_NORMAL_OFFSET, false);
        assertEquals(256, code.length);
        assertEquals(-1f, code[0]);
        assertEquals(1f, code[255]);
        for (int i = 0; i < 7; i++) {
            assertEquals(-code[255 - i], code[i], "index " + i);
        }
        assertEquals(14 + 1, distinctValues(code), "7 negatives, 7 positives and zero");
    }

    @Test
    void linspaceHasExactEndsAndMatchesTheClosedFormClosely() {
        float[] values = CodeBooks.linspace(0.1f, 1f, 65);
        assertEquals(0.1f, values[0]);
        assertEquals(1f, values[64]);
        for (int i = 0; i < 65; i++) {
            double exact = 0.1f + (1.0 - 0.1f) * i / 64;
            assertEquals(exact, values[i], Math.ulp((float) exact), "index " + i);
        }
        assertArrayEquals(new float[] {-1f}, CodeBooks.linspace(-1f, 1f, 1), "one step is the start");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void linearMapHasTheFewBitProperties(int bits) {
        float[] code = CodeBooks.createLinearMap(true, bits, true);
        assertEquals(256, code.length);
        int distinct = distinctValues(code);
        assertTrue(distinct == 1 << bits || distinct == (1 << bits) - 1, bits + " bits: " + distinct + " values");
        assertEquals(-1f, code[0]);
        assertEquals(1f, code[255]);
        // Layout: the first half of linspace(-1, 1, n), the padding zeros, then the second half.
        int n = (1 << bits) - 1;
        float[] values = CodeBooks.linspace(-1f, 1f, n);
        int half = n / 2;
        for (int i = 0; i < half; i++) {
            assertEquals(values[i], code[i]);
            assertEquals(values[n - 1 - i], code[255 - i]);
        }
        for (int i = half; i < half + 256 - n; i++) {
            assertEquals(0f, code[i], "padding zero at " + i);
        }
        // Apart from the middle value (a tiny residue of the float32 linspace, see the javadoc), ascending.
        for (int i = 1; i < 256; i++) {
            if (i != half + 256 - n) {
                assertTrue(code[i - 1] <= code[i], bits + " bits: not ascending at " + i);
            }
        }
        assertTrue(Math.abs(code[half + 256 - n]) < 1e-7f, "middle value is zero up to float32 rounding");
    }

    @Test
    void defaultLinearMapIsSortedAndUnsigned8BitIsTheFullRange() {
        float[] signed = CodeBooks.createLinearMap(true, 8, true);
        for (int i = 1; i < 256; i++) {
            assertTrue(signed[i - 1] <= signed[i], "ascending at " + i);
        }
        float[] unsigned = CodeBooks.createLinearMap(false, 8, true);
        assertEquals(256, distinctValues(unsigned));
        for (int i = 0; i < 256; i++) {
            assertEquals(i / 255.0, unsigned[i], 1e-7, "index " + i);
        }
        float[] noZero = CodeBooks.createLinearMap(true, 8, false);
        assertEquals(256, distinctValues(noZero), "256 steps from -1 to 1 skip zero");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void fp8MapHasTheFewBitProperties(int bits) {
        // The exponent/precision split upstream's test_few_bit_quant uses.
        int exponentBits = (bits + 1) / 2;
        int precisionBits = bits - exponentBits - 1;
        float[] code = CodeBooks.createFp8Map(true, exponentBits, precisionBits, bits);
        assertEquals(256, code.length);
        int distinct = distinctValues(code);
        assertTrue(distinct == 1 << bits || distinct == (1 << bits) - 1, bits + " bits: " + distinct + " values");
        for (int i = 1; i < 256; i++) {
            assertTrue(code[i - 1] <= code[i], bits + " bits: not ascending at " + i);
        }
        assertEquals(1f, code[255]);
        assertEquals(-1f, code[0]);
    }

    @Test
    void fp8MapMatchesTheClosedFormForTwoExponentBitsAndOneMantissaBit() {
        // e=2, p=1, bias=2: subnormals {0, 0.5}·2^-2, normals (1 + {0, 0.5})·2^(3 - ev) for ev = 1..3.
        float[] code = CodeBooks.createFp8Map(true, 2, 1, 4);
        double[] magnitudes = {0.125, 1, 1.5, 2, 3, 4, 6};
        for (int i = 0; i < magnitudes.length; i++) {
            float expected = (float) magnitudes[i] / 6f;
            assertEquals(expected, code[249 + i], "positive " + i);
            assertEquals(-expected, code[6 - i], "negative " + i);
        }
        for (int i = 7; i < 249; i++) {
            assertEquals(0f, Math.abs(code[i]), "zero at " + i);
        }
        assertEquals(0.020833334f, code[249], "not FP4's 0.0052083");
    }

    @Test
    void fp8DefaultFormatHas255DistinctValues() {
        float[] code = CodeBooks.createFp8Map(true, 5, 2, 8);
        assertEquals(255, distinctValues(code), "256 patterns, +0 and -0 equal");
        assertEquals(1f, code[255]);
        // Smallest positive: subnormal 0.25·2^-16 over the largest 1.75·2^16.
        assertEquals((float) (0x1p-34 / 1.75), code[129]);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void dynamicMapHasTheFewBitProperties(int bits) {
        float[] code = CodeBooks.createDynamicMap(true, bits, bits);
        assertEquals(256, code.length);
        int distinct = distinctValues(code);
        assertTrue(distinct == 1 << bits || distinct == (1 << bits) - 1, bits + " bits: " + distinct + " values");
        for (int i = 1; i < 256; i++) {
            assertTrue(code[i - 1] <= code[i], bits + " bits: not ascending at " + i);
        }
    }

    @Test
    void badArgumentsNameTheArgumentTheValueAndTheRange() {
        assertRejected(() -> CodeBooks.createDynamicMap(true, 7, 9), "totalBits", "9", "[1, 8]");
        assertRejected(() -> CodeBooks.createDynamicMap(true, 0, 8), "maxExponentBits", "0", "[1, 8]");
        assertRejected(() -> CodeBooks.createDynamicMap(false, 6, 8), "maxExponentBits", "6", "2^totalBits");
        assertRejected(() -> CodeBooks.createNormalMap(0.5, true), "offset", "0.5", "(0.5, 1)");
        assertRejected(() -> CodeBooks.createNormalMap(Double.NaN, true), "offset", "NaN", "(0.5, 1)");
        assertRejected(() -> CodeBooks.createLinearMap(true, 0, true), "totalBits", "0", "[1, 8]");
        assertRejected(() -> CodeBooks.createFp8Map(true, 8, 0, 8), "exponentBits", "8", "[1, 7]");
        assertRejected(() -> CodeBooks.createFp8Map(true, 3, -1, 3), "precisionBits", "-1", "[0, 7]");
        assertRejected(() -> CodeBooks.createFp8Map(true, 4, 3, 7), "totalBits=7", "4 + 3 + 1", "must equal");
    }

    @Test
    void everyCallReturnsAFreshCopy() {
        CodeBooks.nf4()[0] = 42f;
        CodeBooks.fp4()[3] = 42f;
        CodeBooks.dynamicSigned()[0] = 42f;
        CodeBooks.dynamicUnsigned()[0] = 42f;
        assertEquals(-1f, CodeBooks.nf4()[0]);
        assertEquals(1f, CodeBooks.fp4()[3]);
        assertEquals(-0.99296874f, CodeBooks.dynamicSigned()[0]);
        assertEquals(0f, CodeBooks.dynamicUnsigned()[0]);
    }

    private static void assertRejected(Executable call, String... phrases) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String phrase : phrases) {
            assertTrue(e.getMessage().contains(phrase), "message mentions \"" + phrase + "\": " + e.getMessage());
        }
    }

    /** Bit patterns, so that -0 vs +0 and every last-place difference count. */
    private static void assertBitExact(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            int index = i;
            int e = Float.floatToRawIntBits(expected[i]);
            int a = Float.floatToRawIntBits(actual[i]);
            assertEquals(e, a, () -> "index " + index + ": expected " + expected[index] + " got " + actual[index]);
        }
    }

    /** Distinct values as torch.unique counts them: -0 equals +0. */
    private static int distinctValues(float[] code) {
        Set<Float> distinct = new HashSet<>();
        for (float v : code) {
            distinct.add(v == 0f ? 0f : v);
        }
        return distinct.size();
    }
}
