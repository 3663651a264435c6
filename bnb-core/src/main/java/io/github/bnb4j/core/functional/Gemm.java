package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeGemm;

/**
 * Dense matrix multiplication, the GEMM under the 4-bit, int8 and {@code Linear} layers:
 * <pre>
 *   out[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · out + bias[N]
 * </pre>
 * with {@code op(X)} = X or Xᵀ ({@link Transpose}). A, B, out and bias share one dtype (F32, F16 or BF16);
 * products are summed in f32 and the result is rounded once to the dtype. All tensors are row-major and on
 * one device. On CUDA devices it is cuBLASLt from the JavaCPP CUDA presets, run on the current stream
 * ({@link io.github.bnb4j.core.CudaStream#current}); on the CPU a blocked, multi-threaded kernel whose sums
 * run in a fixed order. CPU and CUDA agree within the rounding of an f32 sum (not bit for bit: cuBLAS's
 * summation order depends on the algorithm it picks; see docs/DECISIONS.md).
 *
 * <p>A CUDA host without cuBLAS (CUDA 13's {@code libcublasLt.so.13}) gets a
 * {@link io.github.bnb4j.nativelib.BnbException} with status {@code NO_BACKEND} naming what to install.
 */
public final class Gemm {
    private static final Set<DType> TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Gemm() {
    }

    /**
     * {@code x · weightᵀ}: the {@code nn.Linear} product.
     *
     * @param x      [..., K] (any leading dimensions, flattened to M rows)
     * @param weight [N, K], same dtype and device as {@code x}
     * @return a new tensor [..., N]
     * @throws IllegalArgumentException      if the shapes do not chain or the tensors are on different devices
     * @throws UnsupportedOperationException if the dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor linear(Tensor x, Tensor weight) {
        return linearImpl(x, weight, null);
    }

    /**
     * {@code x · weightᵀ + bias}.
     *
     * @param bias [N], same dtype and device as {@code x}
     * @throws IllegalArgumentException as {@link #linear(Tensor, Tensor)}, or if {@code bias} is not [N]
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return linearImpl(x, weight, Objects.requireNonNull(bias, "bias"));
    }

    /**
     * {@code op(a) · op(b)} for 2-D tensors.
     *
     * @return a new tensor [M, N] with M, K from {@code op(a)} and K, N from {@code op(b)}
     * @throws IllegalArgumentException      if a tensor is not 2-D, the inner dimensions differ or K is 0
     * @throws UnsupportedOperationException if the dtype is not F32, F16 or BF16
     */
    public static Tensor matmul(Tensor a, Transpose ta, Tensor b, Transpose tb) {
        Shape s = Shape.of(a, ta, b, tb);
        Tensor out = Tensor.empty(a.dtype(), a.device(), s.m, s.n);
        return runOrClose(out, () -> run(a, ta, b, tb, 1f, 0f, null, out, s));
    }

    /**
     * {@code out = alpha · op(a) · op(b) + beta · out} into a caller-owned tensor; allocates nothing.
     * {@code beta = 0} ignores what {@code out} held (NaN included).
     *
     * @param out [M, N], same dtype and device as {@code a}; modified in place
     * @throws IllegalArgumentException as {@link #matmul}, if {@code out} is not [M, N], or if alpha or beta
     *                                  is not finite
     */
    public static void gemmInto(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor out) {
        run(a, ta, b, tb, alpha, beta, null, Objects.requireNonNull(out, "out"), Shape.of(a, ta, b, tb));
    }

    /**
     * {@code out = alpha · op(a) · op(b) + beta · out + bias} into a caller-owned tensor.
     *
     * @param bias [N], same dtype and device as {@code a}
     * @throws IllegalArgumentException as {@link #gemmInto(Tensor, Transpose, Tensor, Transpose, float, float,
     *                                  Tensor)}, or if {@code bias} is not [N]
     */
    public static void gemmInto(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor bias,
                                Tensor out) {
        run(a, ta, b, tb, alpha, beta, Objects.requireNonNull(bias, "bias"), Objects.requireNonNull(out, "out"),
                Shape.of(a, ta, b, tb));
    }

    private static Tensor linearImpl(Tensor x, Tensor weight, Tensor bias) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(weight, "weight");
        if (x.rank() < 1 || weight.rank() != 2) {
            throw new IllegalArgumentException("linear needs x [..., K] and weight [N, K], got x "
                    + Arrays.toString(x.shape()) + " and weight " + Arrays.toString(weight.shape()));
        }
        long k = x.size(x.rank() - 1);
        Shape s = new Shape(k == 0 ? 0 : x.numel() / k, k, weight.size(0), weight.size(1), "x", "weight");
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = s.n;
        Tensor out = Tensor.empty(x.dtype(), x.device(), outShape);
        return runOrClose(out, () -> run(x, Transpose.NONE, weight, Transpose.TRANSPOSE, 1f, 0f, bias, out, s));
    }

    private static Tensor runOrClose(Tensor out, Runnable body) {
        try {
            body.run();
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static void run(Tensor a, Transpose ta, Tensor b, Transpose tb, float alpha, float beta, Tensor bias,
                            Tensor out, Shape s) {
        Objects.requireNonNull(ta, "ta");
        Objects.requireNonNull(tb, "tb");
        Device d = a.device();
        DType t = a.dtype();
        if (!TYPES.contains(t)) {
            throw new UnsupportedOperationException("gemm does not support dtype " + t + " on " + d + "; supported: "
                    + TYPES);
        }
        requireLike(b, t, d, "b");
        requireLike(out, t, d, "out");
        if (out.rank() == 0 || out.numel() != s.m * s.n || out.size(out.rank() - 1) != s.n) {
            throw new IllegalArgumentException("out must be [" + s.m + ", " + s.n + "], got "
                    + Arrays.toString(out.shape()));
        }
        if (bias != null) {
            requireLike(bias, t, d, "bias");
            if (bias.rank() != 1 || bias.size(0) != s.n) {
                throw new IllegalArgumentException("bias must be [" + s.n + "], got " + Arrays.toString(bias.shape()));
            }
        }
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
            throw new IllegalArgumentException("alpha and beta must be finite, got " + alpha + " and " + beta);
        }
        if (s.m == 0 || s.n == 0) {
            return;
        }
        try (TensorUse use = TensorUse.of(a, b, bias, out)) {
            NativeGemm.gemm(ta.transposed(), tb.transposed(), s.m, s.n, s.k, alpha, beta, a, b, bias, out);
        }
    }

    private static void requireLike(Tensor x, DType t, Device d, String name) {
        if (x.dtype() != t || !x.device().equals(d)) {
            throw new IllegalArgumentException(name + " must be " + t + " on " + d + " like a, got " + x);
        }
    }

    /** M, N, K of one product, checked: op(a) is [m, k] and op(b) is [k, n]. */
    private record Shape(long m, long n, long k) {
        Shape(long m, long k, long rowsB, long colsB, String nameA, String nameB) {
            this(m, rowsB, k);
            if (colsB != k) {
                throw new IllegalArgumentException(nameA + "'s last dimension (" + k + ") must equal " + nameB
                        + "'s second dimension (" + colsB + ")");
            }
            if (k == 0) {
                throw new IllegalArgumentException("the inner dimension K must be >= 1, got 0");
            }
        }

        static Shape of(Tensor a, Transpose ta, Tensor b, Transpose tb) {
            Objects.requireNonNull(a, "a");
            Objects.requireNonNull(b, "b");
            Objects.requireNonNull(ta, "ta");
            Objects.requireNonNull(tb, "tb");
            if (a.rank() != 2 || b.rank() != 2) {
                throw new IllegalArgumentException("a and b must be 2-D, got " + Arrays.toString(a.shape()) + " and "
                        + Arrays.toString(b.shape()));
            }
            long m = ta.transposed() ? a.size(1) : a.size(0);
            long ka = ta.transposed() ? a.size(0) : a.size(1);
            long kb = tb.transposed() ? b.size(1) : b.size(0);
            long n = tb.transposed() ? b.size(0) : b.size(1);
            if (ka != kb) {
                throw new IllegalArgumentException("op(a) is [" + m + ", " + ka + "] but op(b) is [" + kb + ", " + n
                        + "]: the inner dimensions must be equal");
            }
            if (ka == 0) {
                throw new IllegalArgumentException("the inner dimension K must be >= 1, got 0");
            }
            return new Shape(m, n, ka);
        }
    }
}
