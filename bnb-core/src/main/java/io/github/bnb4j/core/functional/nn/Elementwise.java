package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFinite;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireShape;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Elementwise add, multiply, scale and dtype cast, and the column sum of a matrix (a bias gradient). Tensors are F32,
 * F16 or BF16, all of one dtype and device (a cast's output has its own); arithmetic is f32 with one rounding per
 * output element. The second operand {@code b} of add and mul either has a's shape or broadcasts over a's leading
 * dimensions: its shape is a trailing part of a's (a bias [N] against an [M, N] matrix). Ops run on the inputs' device
 * (CUDA: the current stream, no host sync); only the {@code ...InPlace} / {@code ...Into} ops write to a tensor they
 * were given. Every argument is checked before a kernel runs; an op that throws has written nothing.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /**
     * {@code a + b}, with b broadcast over a's leading dimensions.
     *
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if a's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if b's dtype or device differ from a's or its shape is not a trailing
     *                                       part of a's
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor add(Tensor a, Tensor b) {
        return add(a, b, 1f);
    }

    /**
     * {@code out[i] = a[i] + alpha · b[i]}, with b broadcast over a's leading dimensions.
     *
     * @param a     F32, F16 or BF16, any shape
     * @param b     a's dtype and device; a's shape or a trailing part of it
     * @param alpha a finite factor
     * @return a new tensor of a's dtype and shape
     * @throws NullPointerException          if a tensor is null
     * @throws UnsupportedOperationException if a's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if alpha is not finite, or b's dtype, device or shape do not fit a
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor add(Tensor a, Tensor b, float alpha) {
        requireOperands(a, b, "add");
        requireFinite(alpha, "alpha");
        Tensor out = Tensor.empty(a.dtype(), a.device(), a.shape());
        try (TensorUse use = TensorUse.of(a, b, out)) {
            NativeNnOps.add(a, b, alpha, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@code a += alpha · b} in place (gradient accumulation), with b broadcast over a's leading dimensions.
     *
     * @param a     F32, F16 or BF16; overwritten
     * @param b     a's dtype and device; a's shape or a trailing part of it; must not overlap a unless it is a
     * @param alpha a finite factor
     * @throws NullPointerException          if a tensor is null
     * @throws UnsupportedOperationException if a's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if alpha is not finite, or b's dtype, device or shape do not fit a
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void addInPlace(Tensor a, Tensor b, float alpha) {
        requireOperands(a, b, "addInPlace");
        requireFinite(alpha, "alpha");
        try (TensorUse use = TensorUse.of(a, b)) {
            NativeNnOps.add(a, b, alpha, a);
        }
    }

    /**
     * {@code a · b} elementwise, with b broadcast over a's leading dimensions.
     *
     * @param a F32, F16 or BF16, any shape
     * @param b a's dtype and device; a's shape or a trailing part of it
     * @return a new tensor of a's dtype and shape
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if a's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if b's dtype, device or shape do not fit a
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor mul(Tensor a, Tensor b) {
        requireOperands(a, b, "mul");
        Tensor out = Tensor.empty(a.dtype(), a.device(), a.shape());
        try (TensorUse use = TensorUse.of(a, b, out)) {
            NativeNnOps.mul(a, b, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@code x · s} elementwise.
     *
     * @param x F32, F16 or BF16, any shape
     * @param s a finite factor
     * @return a new tensor of x's dtype and shape
     * @throws NullPointerException          if x is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if s is not finite
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor scale(Tensor x, float s) {
        requireFloat(x, "x", "scale");
        requireFinite(s, "s");
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, out)) {
            NativeNnOps.scale(x, s, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@code x *= s} in place.
     *
     * @throws NullPointerException          if x is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if s is not finite
     * @throws IllegalStateException         if x is closed
     */
    public static void scaleInPlace(Tensor x, float s) {
        requireFloat(x, "x", "scaleInPlace");
        requireFinite(s, "s");
        try (TensorUse use = TensorUse.of(x)) {
            NativeNnOps.scale(x, s, x);
        }
    }

    /**
     * {@code x} converted to {@code dtype} (torch's {@code x.to(dtype)}): through f32, which holds every F16 and
     * BF16 value exactly, and one rounding to nearest even; values beyond the target's range become infinities and
     * NaN stays NaN. Casting to x's own dtype returns a copy (a new tensor, as every op here).
     *
     * @param x     F32, F16 or BF16, any shape
     * @param dtype F32, F16 or BF16
     * @return a new tensor of {@code dtype} with x's shape, on x's device
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if x's dtype or {@code dtype} is not F32, F16 or BF16
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor cast(Tensor x, DType dtype) {
        requireFloat(x, "x", "cast");
        Objects.requireNonNull(dtype, "dtype");
        if (!NnChecks.FLOAT_TYPES.contains(dtype)) {
            throw new UnsupportedOperationException("cast does not support target dtype " + dtype + " on "
                    + x.device() + "; supported: " + NnChecks.FLOAT_TYPES);
        }
        Tensor out = Tensor.empty(dtype, x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, out)) {
            if (x.numel() > 0) {
                NativeNnOps.cast(x, out);
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The column sums of x [..., N] over all leading dimensions: {@code out[c] = Σ_r x[r, c]} in f32, rounded once
     * (the bias gradient of a linear layer).
     *
     * @param x F32, F16 or BF16 of rank &gt;= 1
     * @return a new [N] tensor of x's dtype (zeros when x has no rows)
     * @throws NullPointerException          if x is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if x is a scalar
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor sumRows(Tensor x) {
        long cols = NnChecks.lastDimension(x, "x");
        requireFloat(x, "x", "sumRows");
        Tensor out = Tensor.empty(x.dtype(), x.device(), cols);
        try {
            sumRowsInto(x, out, Accumulation.OVERWRITE);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@link #sumRows} into a caller's tensor, replacing or adding to its contents ({@code out += Σ_r x[r, :]}, one
     * rounding).
     *
     * @param out [N] of x's dtype on x's device
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if x is a scalar or out is not [N] of x's dtype on its device
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void sumRowsInto(Tensor x, Tensor out, Accumulation accumulation) {
        long cols = NnChecks.lastDimension(x, "x");
        requireFloat(x, "x", "sumRows");
        requireShape(out, x.dtype(), new long[] {cols}, x, "out");
        Objects.requireNonNull(accumulation, "accumulation");
        try (TensorUse use = TensorUse.of(x, out)) {
            NativeNnOps.sumRows(x, NnChecks.rows(x), cols, out, accumulation == Accumulation.ADD);
        }
    }

    private static void requireOperands(Tensor a, Tensor b, String op) {
        requireFloat(a, "a", op);
        Objects.requireNonNull(b, "b");
        long[] as = a.shape();
        long[] bs = b.shape();
        boolean trailing = bs.length <= as.length
                && Arrays.equals(bs, Arrays.copyOfRange(as, as.length - bs.length, as.length));
        if (b.dtype() != a.dtype() || !b.device().equals(a.device()) || !trailing) {
            throw new IllegalArgumentException("b must have a's dtype and device and a's shape or a trailing part of"
                    + " it (a " + a + "), got " + b);
        }
        if (b.numel() == 0 && a.numel() != 0) {
            throw new IllegalArgumentException("b must not be empty when a is not (a " + a + "), got " + b);
        }
    }
}
