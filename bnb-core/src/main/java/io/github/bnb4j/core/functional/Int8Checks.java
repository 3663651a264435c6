package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/** The argument checks of the int8 ops, made in Java before any kernel runs and before any output is written. */
final class Int8Checks {
    /** The float dtypes the int8 kernels read and write. */
    static final Set<DType> FLOAT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Int8Checks() {
    }

    /** @throws IllegalArgumentException unless {@code threshold} is finite and {@code >= 0} */
    static float requireThreshold(float threshold) {
        if (!Float.isFinite(threshold) || threshold < 0) {
            throw new IllegalArgumentException("threshold must be finite and >= 0 (0 turns the outlier columns off),"
                    + " got " + threshold);
        }
        return threshold;
    }

    /** @throws UnsupportedOperationException naming the op, dtype and device unless t is F32, F16 or BF16 */
    static void requireFloat(Tensor t, String name, String op) {
        Objects.requireNonNull(t, name);
        if (!FLOAT_TYPES.contains(t.dtype())) {
            throw new UnsupportedOperationException(op + " does not support dtype " + t.dtype() + " for " + name
                    + " on " + t.device() + "; supported: " + FLOAT_TYPES);
        }
    }

    /** A float dtype argument. @throws UnsupportedOperationException unless F32, F16 or BF16 */
    static void requireFloat(DType dtype, Device device, String op) {
        Objects.requireNonNull(dtype, "dtype");
        if (!FLOAT_TYPES.contains(dtype)) {
            throw new UnsupportedOperationException(op + " does not support dtype " + dtype + " on " + device
                    + "; supported: " + FLOAT_TYPES);
        }
    }

    /** @throws IllegalArgumentException unless t has rank &gt;= 1 */
    static long lastDimension(Tensor t, String name) {
        Objects.requireNonNull(t, name);
        if (t.rank() < 1) {
            throw new IllegalArgumentException(name + " must be [..., cols], got a scalar");
        }
        return t.size(t.rank() - 1);
    }

    /** Rows of a [..., cols] tensor: the product of its leading dimensions. */
    static long rows(Tensor t) {
        long rows = 1;
        for (int i = 0; i < t.rank() - 1; i++) {
            rows *= t.size(i); // cannot overflow: numel did not
        }
        return rows;
    }

    /** @throws IllegalArgumentException unless t is a matrix of {@code dtype} */
    static void requireMatrix(Tensor t, DType dtype, String name) {
        Objects.requireNonNull(t, name);
        if (t.dtype() != dtype || t.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a " + dtype + " matrix, got " + t);
        }
    }

    /** @throws IllegalArgumentException unless t is {@code dtype [length]} on {@code device} */
    static void requireVector(Tensor t, DType dtype, long length, Device device, String name) {
        Objects.requireNonNull(t, name);
        if (t.dtype() != dtype || t.rank() != 1 || t.size(0) != length || !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be " + dtype + " [" + length + "] on " + device
                    + ", got " + t);
        }
    }

    /** @throws IllegalArgumentException unless t is {@code dtype} with {@code shape} on {@code device} */
    static void requireShape(Tensor t, DType dtype, long[] shape, Device device, String name) {
        Objects.requireNonNull(t, name);
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape) || !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be " + dtype + " " + Arrays.toString(shape) + " on "
                    + device + ", got " + t);
        }
    }

    /** @throws IllegalArgumentException unless t is on {@code device} */
    static void requireDevice(Tensor t, Device device, String name) {
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be on " + device + ", got " + t);
        }
    }
}
