package io.github.bnb4j.core.functional.nn;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/** The argument checks of the nn ops, made in Java before any kernel runs and before any output is written. */
final class NnChecks {
    /** The float dtypes the nn kernels compute in. */
    static final Set<DType> FLOAT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);
    /** The index dtypes of embedding indices and cross-entropy labels. */
    static final Set<DType> INDEX_TYPES = EnumSet.of(DType.I32, DType.I64);

    private NnChecks() {
    }

    /** @throws UnsupportedOperationException naming the op, dtype and device unless t is F32, F16 or BF16 */
    static Tensor requireFloat(Tensor t, String name, String op) {
        Objects.requireNonNull(t, name);
        if (!FLOAT_TYPES.contains(t.dtype())) {
            throw new UnsupportedOperationException(op + " does not support dtype " + t.dtype() + " for " + name
                    + " on " + t.device() + "; supported: " + FLOAT_TYPES);
        }
        return t;
    }

    /** @throws IllegalArgumentException unless t has the dtype, shape and device of {@code like} */
    static void requireLike(Tensor t, Tensor like, String name, String likeName) {
        Objects.requireNonNull(t, name);
        if (t.dtype() != like.dtype() || !Arrays.equals(t.shape(), like.shape()) || !t.device().equals(like.device())) {
            throw new IllegalArgumentException(name + " must have the dtype, shape and device of " + likeName + " ("
                    + like + "), got " + t);
        }
    }

    /** @throws IllegalArgumentException unless t is {@code dtype} with {@code shape} on like's device */
    static void requireShape(Tensor t, DType dtype, long[] shape, Tensor like, String name) {
        Objects.requireNonNull(t, name);
        if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape) || !t.device().equals(like.device())) {
            throw new IllegalArgumentException(name + " must be " + dtype + " " + Arrays.toString(shape) + " on "
                    + like.device() + ", got " + t);
        }
    }

    /** @throws IllegalArgumentException unless t is I32 or I64 on like's device */
    static void requireIndices(Tensor t, Tensor like, String name) {
        Objects.requireNonNull(t, name);
        if (!INDEX_TYPES.contains(t.dtype()) || !t.device().equals(like.device())) {
            throw new IllegalArgumentException(name + " must be I32 or I64 on " + like.device() + ", got " + t);
        }
    }

    /** @throws IllegalArgumentException unless v is finite */
    static float requireFinite(float v, String name) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be finite, got " + v);
        }
        return v;
    }

    /** @throws IllegalArgumentException unless t has rank &gt;= 1 */
    static long lastDimension(Tensor t, String name) {
        Objects.requireNonNull(t, name);
        if (t.rank() < 1) {
            throw new IllegalArgumentException(name + " must be [..., cols], got a scalar " + t);
        }
        return t.size(t.rank() - 1);
    }

    /** The rows of a [..., cols] tensor: the product of its leading dimensions (cannot overflow: numel did not). */
    static long rows(Tensor t) {
        long rows = 1;
        for (int i = 0; i < t.rank() - 1; i++) {
            rows *= t.size(i);
        }
        return rows;
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
