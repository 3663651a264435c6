package io.github.bnb4j.core.functional.transformer;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/** The argument checks of the transformer ops, made in Java before any kernel runs and before any output is written. */
final class TransformerChecks {
    /** The float dtypes the transformer kernels read and write. */
    static final Set<DType> FLOAT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private TransformerChecks() {
    }

    /** @throws UnsupportedOperationException naming the op, dtype and device unless t is F32, F16 or BF16 */
    static void requireFloat(Tensor t, String name, String op) {
        Objects.requireNonNull(t, name);
        requireFloat(t.dtype(), t.device(), name, op);
    }

    /** @throws UnsupportedOperationException naming the op, dtype and device unless dtype is F32, F16 or BF16 */
    static void requireFloat(DType dtype, Device device, String name, String op) {
        Objects.requireNonNull(dtype, name);
        if (!FLOAT_TYPES.contains(dtype)) {
            throw new UnsupportedOperationException(op + " does not support dtype " + dtype + " for " + name + " on "
                    + device + "; supported: " + FLOAT_TYPES);
        }
    }

    /** @throws IllegalArgumentException unless t has rank &gt;= 1 and a last dimension &gt;= 1 */
    static long lastDimension(Tensor t, String name) {
        Objects.requireNonNull(t, name);
        if (t.rank() < 1 || t.size(t.rank() - 1) < 1) {
            throw new IllegalArgumentException(name + " must be [..., n] with n >= 1, got " + t);
        }
        return t.size(t.rank() - 1);
    }

    /** Rows of a [..., n] tensor: the product of its leading dimensions. */
    static long rows(Tensor t) {
        long rows = 1;
        for (int i = 0; i < t.rank() - 1; i++) {
            rows *= t.size(i); // cannot overflow: numel did not
        }
        return rows;
    }

    /** @throws IllegalArgumentException unless t has rank 4 */
    static void requireRank4(Tensor t, String name, String layout) {
        Objects.requireNonNull(t, name);
        if (t.rank() != 4) {
            throw new IllegalArgumentException(name + " must be " + layout + ", got " + t);
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

    /** @throws IllegalArgumentException unless {@code eps} is finite and {@code >= 0} */
    static float requireEps(float eps) {
        if (!Float.isFinite(eps) || eps < 0) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        return eps;
    }

    /** Closes the non-null tensors: the partial results of a call that failed. */
    static void closeAll(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
