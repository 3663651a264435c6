package io.github.bnb4j.core.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An independent reference for code-book quantization: brute-force nearest code in double precision,
 * with exact midpoint ties going to the even index (what upstream CUDA's binary search does).
 */
public final class QuantReference {
    private QuantReference() {
    }

    /** Nearest code index; NaN gives 0. */
    public static int nearest(float[] code, float x) {
        if (Float.isNaN(x)) {
            return 0;
        }
        int best = 0;
        double bestDist = Double.POSITIVE_INFINITY;
        for (int j = 0; j < code.length; j++) {
            double dist = Math.abs((double) code[j] - x);
            if (dist < bestDist || (dist == bestDist && (j & 1) == 0)) {
                best = j;
                bestDist = dist;
            }
        }
        return best;
    }

    /** absmax per block of the float values. */
    public static float[] absmax(float[] values, int blocksize) {
        float[] out = new float[(values.length + blocksize - 1) / blocksize];
        for (int i = 0; i < values.length; i++) {
            out[i / blocksize] = Math.max(out[i / blocksize], Math.abs(values[i]));
        }
        return out;
    }

    /** The scaled value the quantizer looks up: x * (1 / absmax) in float. */
    public static float scaled(float value, float absmax) {
        return value * (1.0f / absmax);
    }

    /**
     * True when x is within two ulps of the midpoint of two neighbouring codes, where the float binary
     * search and a double-precision argmin may legitimately disagree.
     */
    public static boolean nearTie(float[] code, float x, int a, int b) {
        if (Math.abs(a - b) != 1) {
            return false;
        }
        float mid = (code[a] + code[b]) * 0.5f;
        return Math.abs(x - mid) <= 2 * Math.ulp(mid);
    }

    /**
     * Asserts that {@code actual} codes equal {@code expected} except at near ties, and that there are few
     * of those.
     */
    public static void assertCodesMatch(float[] code, float[] input, float[] absmax, int blocksize, byte[] expected,
            byte[] actual, String what) {
        int ties = 0;
        for (int i = 0; i < expected.length; i++) {
            int e = expected[i] & 0xFF;
            int a = actual[i] & 0xFF;
            if (e != a) {
                float x = scaled(input[i], absmax[i / blocksize]);
                if (!nearTie(code, x, e, a)) {
                    fail(what + ": code of element " + i + " is " + a + ", expected " + e + " (x=" + x + ")");
                }
                ties++;
            }
        }
        // bf16 inputs hit exact midpoints often (few mantissa bits); each mismatch was checked to be a tie
        assertTrue(ties <= Math.max(2, expected.length / 100), what + ": " + ties + " tie mismatches");
    }
}
