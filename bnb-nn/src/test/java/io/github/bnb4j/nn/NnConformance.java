package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.FourBitReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;

/**
 * Base of the bnb-nn conformance suites: modules made by a test are closed after it, and the double-precision
 * references of the linear products, with tolerances that scale with the dtype's unit roundoff and the magnitude
 * of the sums.
 */
abstract class NnConformance extends BackendConformance {
    static final DType[] FLOAT_TYPES = {DType.F32, DType.F16, DType.BF16};

    private final List<Module> modules = new ArrayList<>();

    /** Closes {@code m} after the test. @return {@code m} */
    <M extends Module> M track(M m) {
        modules.add(m);
        return m;
    }

    @AfterEach
    void closeModules() {
        modules.forEach(Module::close);
    }

    /** {@code n} values from N(0, scale²), rounded to {@code dtype}. */
    static float[] gaussian(int n, long seed, double scale, DType dtype) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = FourBitReference.round((float) (r.nextGaussian() * scale), dtype);
        }
        return v;
    }

    Tensor tensor(float[] values, DType dtype, long... shape) {
        return Tensor.fromFloats(values, dtype, device(), shape);
    }

    /** {@code a [m, k] · b} where b is [n, k] ({@code bTransposed}) or [k, n], in double. */
    static double[] matmul(float[] a, float[] b, int m, int k, int n, boolean bTransposed) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * (bTransposed ? b[j * k + p] : b[p * n + j]);
                }
                out[i * n + j] = s;
            }
        }
        return out;
    }

    /** |a| · |b| summed like {@link #matmul}: the scale of the rounding error of each output. */
    static double[] magnitude(float[] a, float[] b, int m, int k, int n, boolean bTransposed) {
        float[] absA = abs(a);
        float[] absB = abs(b);
        return matmul(absA, absB, m, k, n, bTransposed);
    }

    /** {@code a [m, k]ᵀ · b [m, n]} in double: [k, n]. */
    static double[] transposedProduct(float[] a, float[] b, int m, int k, int n) {
        double[] out = new double[k * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    out[p * n + j] += (double) a[i * k + p] * b[i * n + j];
                }
            }
        }
        return out;
    }

    static float[] abs(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]);
        }
        return out;
    }

    /**
     * Asserts {@code got} equals {@code want} within a few units of the dtype's roundoff: the f32 sums round once to
     * the dtype (relative to the value) and their terms carry the rounding of their own inputs (relative to the
     * magnitude).
     */
    static void assertClose(double[] want, double[] magnitude, float[] got, DType dtype, String what) {
        assertEquals(want.length, got.length, what + " length");
        double u = FourBitReference.unit(dtype);
        for (int i = 0; i < want.length; i++) {
            double tol = 4 * u * Math.abs(want[i]) + 8 * u * magnitude[i] + 1e-6 * magnitude[i] + 1e-30;
            assertTrue(Math.abs(got[i] - want[i]) <= tol, what + "[" + i + "] = " + got[i] + ", want " + want[i]
                    + " within " + tol);
        }
    }

    /** Asserts {@code call} throws {@code type} with a message containing every fragment. */
    static <T extends Throwable> T assertThrowsNaming(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(f), "message '" + e.getMessage()
                    + "' must name '" + f + "'");
        }
        return e;
    }

    static float[] toFloats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    /** Column sums of {@code g [m, n]}: the bias gradient. */
    static double[] columnSums(float[] g, int m, int n) {
        double[] out = new double[n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                out[j] += g[i * n + j];
            }
        }
        return out;
    }
}
