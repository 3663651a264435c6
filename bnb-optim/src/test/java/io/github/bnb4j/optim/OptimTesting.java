package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;

/** Helpers shared by the optimizer conformance suites. */
final class OptimTesting {
    private OptimTesting() {
    }

    /** A parameter holding {@code values} rounded to {@code dtype}. */
    static Parameter param(String name, float[] values, DType dtype, Device device) {
        return new Parameter(name, Tensor.fromFloats(values, dtype, device, values.length));
    }

    /** Sets the gradient (rounded to the parameter's dtype). */
    static void setGrad(Parameter p, float[] values) {
        p.setGrad(Tensor.fromFloats(values, p.value().dtype(), p.value().device(), p.value().shape()));
    }

    /** {@code scale} times standard normal values from a fixed seed. */
    static float[] gaussian(int n, long seed, double scale) {
        Random r = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * scale);
        }
        return out;
    }

    /** The value {@code x} rounded to {@code dtype}, as the tensor stores it. */
    static float round(float x, DType dtype) {
        return switch (dtype) {
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(x));
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x));
            default -> x;
        };
    }

    /** Dequantized 8-bit state: {@code qmap[code] * absmax[block]} per element, blocks of 256. */
    static float[] dequantize(byte[] codes, float[] qmap, float[] absmax, int offsetBlocks) {
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            out[i] = qmap[codes[i] & 0xFF] * absmax[offsetBlocks + i / 256];
        }
        return out;
    }

    /** The {@code [from, from + n)} slice. */
    static float[] slice(float[] a, int from, int n) {
        float[] out = new float[n];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }

    /** The {@code [from, from + n)} slice. */
    static byte[] slice(byte[] a, int from, int n) {
        byte[] out = new byte[n];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }

    /**
     * Asserts {@code |actual - expected| <= atol + rtol * |expected|} for all but {@code allowed} elements (torch's
     * assert_close with upstream's mismatch allowance).
     */
    static void assertClose(double[] expected, float[] actual, double atol, double rtol, int allowed, String what) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int bad = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
                if (first < 0) {
                    first = i;
                }
                bad++;
            }
        }
        if (bad > allowed) {
            fail(what + ": " + bad + " of " + expected.length + " elements outside atol " + atol + " rtol " + rtol
                    + " (allowed " + allowed + "); first at " + first + ": " + actual[first] + " vs "
                    + expected[first]);
        }
    }

    /** {@link #assertClose(double[], float[], double, double, int, String)} for float expectations. */
    static void assertClose(float[] expected, float[] actual, double atol, double rtol, int allowed, String what) {
        assertClose(toDouble(expected), actual, atol, rtol, allowed, what);
    }

    static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** Asserts bit-identical float arrays. */
    static void assertBitEqual(float[] expected, float[] actual, String what) {
        assertTrue(expected.length == actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + "[" + i + "]: " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
