package io.github.bnb4j.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.functional.CodeBooks;
import io.github.bnb4j.core.functional.QuantType;

/**
 * An independent model of 4-bit quantization written from the spec (3.2, 3.3, 3.7), not from the library: a code
 * is the number of thresholds strictly below the scaled value (NF4), or the sign bit plus the interval of |x|
 * (FP4); packing puts value 2j in the high nibble of byte j.
 */
public final class FourBitReference {
    private static final float[] NF4_THRESHOLDS = {-0.8480964004993439f, -0.6106329262256622f,
        -0.4599952697753906f, -0.33967943489551544f, -0.23460740596055984f, -0.13791173323988914f,
        -0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f, 0.2035212516784668f,
        0.2920137718319893f, 0.3893125355243683f, 0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};
    private static final float[] FP4_THRESHOLDS = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f,
        0.583333f, 0.8333333f};
    private static final int[] FP4_CODES = {0, 1, 6, 7, 4, 5, 2, 3};

    private FourBitReference() {
    }

    /** The 4-bit code of a scaled value x = value / absmax (NaN gives 0). */
    public static int code(QuantType type, float x) {
        if (Float.isNaN(x)) {
            return 0;
        }
        int c = 0;
        if (type == QuantType.NF4) {
            for (float t : NF4_THRESHOLDS) {
                c += x > t ? 1 : 0;
            }
            return c;
        }
        for (float t : FP4_THRESHOLDS) {
            c += Math.abs(x) > t ? 1 : 0;
        }
        return (x < 0 ? 8 : 0) + FP4_CODES[c];
    }

    /**
     * The value of a code as the kernels decode it: {@link CodeBooks#nf4()}, or for FP4 the magnitude of
     * {@link CodeBooks#fp4()} with bit 3 as the sign, so code 8 is -0.0 (the quant_map stores +0 there).
     */
    public static float value(QuantType type, int code) {
        if (type == QuantType.NF4) {
            return CodeBooks.nf4()[code];
        }
        float magnitude = CodeBooks.fp4()[code & 7];
        return (code & 8) != 0 ? -magnitude : magnitude;
    }

    /** Code {@code i} of packed bytes. */
    public static int codeAt(byte[] packed, long i) {
        int b = packed[(int) (i / 2)] & 0xFF;
        return i % 2 == 0 ? b >> 4 : b & 15;
    }

    /** absmax of each block, as the kernels reduce it (NaN ignored; a short last block padded with zeros). */
    public static float[] absmax(float[] values, int blocksize) {
        float[] out = new float[(values.length + blocksize - 1) / blocksize];
        for (int i = 0; i < values.length; i++) {
            if (!Float.isNaN(values[i])) {
                out[i / blocksize] = Math.max(out[i / blocksize], Math.abs(values[i]));
            }
        }
        return out;
    }

    /** Packed codes of {@code values} with the given absmax: x * (1 / absmax), odd n padded by a 0.0. */
    public static byte[] pack(QuantType type, float[] values, float[] absmax, int blocksize) {
        byte[] packed = new byte[(values.length + 1) / 2];
        for (int i = 0; i < values.length + values.length % 2; i++) {
            float v = i < values.length ? values[i] : 0f;
            int c = code(type, v * (1f / absmax[i / blocksize]));
            packed[i / 2] |= (byte) (i % 2 == 0 ? c << 4 : c);
        }
        return packed;
    }

    /** {@code v} rounded to nearest even in {@code dtype}. */
    public static float round(float v, DType dtype) {
        return switch (dtype) {
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(v));
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v));
            default -> v;
        };
    }

    /** The unit roundoff of {@code dtype}: 2^-24, 2^-11, 2^-8. */
    public static double unit(DType dtype) {
        return switch (dtype) {
            case F16 -> 1.0 / 2048;
            case BF16 -> 1.0 / 256;
            default -> 1.0 / (1 << 24);
        };
    }

    /**
     * Asserts our packed codes equal upstream's, except where upstream's fast-math reciprocal of absmax (within an
     * ulp of the IEEE one) puts a value exactly on a threshold on the other side: a differing code is accepted only
     * if a reciprocal one ulp away gives upstream's code, and such codes must be rare.
     */
    public static void assertUpstreamCodes(QuantType type, float[] input, float[] absmax, int blocksize,
            byte[] upstream, byte[] ours, String what) {
        int ties = 0;
        for (int i = 0; i < input.length; i++) {
            int theirs = codeAt(upstream, i);
            int mine = codeAt(ours, i);
            if (theirs == mine) {
                continue;
            }
            float r = 1f / absmax[i / blocksize];
            boolean explained = code(type, input[i] * Math.nextDown(r)) == theirs
                    || code(type, input[i] * Math.nextUp(r)) == theirs;
            if (!explained) {
                fail(what + ": code " + i + " is " + mine + ", upstream " + theirs + " (value " + input[i] + ", absmax "
                        + absmax[i / blocksize] + ")");
            }
            ties++;
        }
        assertTrue(ties <= input.length / 1000, what + ": " + ties + " codes differ from upstream at threshold ties");
    }
}
