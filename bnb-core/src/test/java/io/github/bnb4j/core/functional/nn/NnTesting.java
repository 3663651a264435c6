package io.github.bnb4j.core.functional.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.Int8Reference;
import org.junit.jupiter.api.function.Executable;

/**
 * Helpers of the nn conformance suites: inputs exact in their dtype (so the double-precision references see the
 * values the kernels see) and comparisons with tolerances that scale with the dtype and the values.
 */
final class NnTesting {
    /** Odd sizes: one element, fewer than a vector, a vector, more than a 4096-element block, a prime. */
    static final int[] SIZES = {1, 3, 4, 8, 4097, 1031};

    private NnTesting() {
    }

    static Stream<DType> floatTypes() {
        return Stream.of(DType.F32, DType.F16, DType.BF16);
    }

    /** n values of N(0, sigma²) + mean, rounded to t. */
    static float[] normal(int n, DType t, double mean, double sigma, long seed) {
        Random rng = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Int8Reference.round((float) (mean + sigma * rng.nextGaussian()), t);
        }
        return v;
    }

    /** n values uniform in [lo, hi), rounded to t. */
    static float[] uniform(int n, DType t, double lo, double hi, long seed) {
        Random rng = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Int8Reference.round((float) (lo + (hi - lo) * rng.nextDouble()), t);
        }
        return v;
    }

    static Tensor tensor(float[] values, DType t, Device d, long... shape) {
        return Tensor.fromFloats(values, t, d, shape);
    }

    /**
     * Asserts {@code |got[i] - want[i]| <= unit(t) · |want[i]| + abs[i]}: one rounding to t of the exact value
     * (and half the spacing of F16's subnormals, below 2^-14), plus {@code abs}, the f32 arithmetic's own error
     * (which the caller bounds from the values).
     */
    static void assertClose(double[] want, float[] got, DType t, double[] abs, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double unit = Int8Reference.unit(t);
        double subnormal = t == DType.F16 ? 0x1p-25 : 0;
        for (int i = 0; i < want.length; i++) {
            double tol = 1.0001 * unit * Math.abs(want[i]) + subnormal + abs[i];
            if (!(Math.abs(got[i] - want[i]) <= tol)) {
                fail(what + "[" + i + "] = " + got[i] + ", want " + want[i] + " ± " + tol + " (" + t + ")");
            }
        }
    }

    /** {@link #assertClose} with the same f32 allowance everywhere. */
    static void assertClose(double[] want, float[] got, DType t, double abs, String what) {
        double[] a = new double[want.length];
        java.util.Arrays.fill(a, abs);
        assertClose(want, got, t, a, what);
    }

    static <T extends Throwable> T assertMessage(Class<T> type, Executable call, String... parts) {
        T e = assertThrows(type, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should name " + p);
        }
        return e;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
