package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Shapes.MatmulShape;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeGemm;

/**
 * Dense matrix multiplication, the GEMM under the 4-bit, int8 and {@code Linear} layers:
 * <pre>
 *   out[M, N] = alpha · op(A)[M, K] · op(B)[K, N] + beta · out + bias[N]
 * </pre>
 * with {@code op(X)} = X or Xᵀ as the {@link MatrixOperand} says (a flag, never a copy). A, B, out and bias
 * share one dtype (F32, F16 or BF16); products are summed in f32 and the result is rounded once to the dtype.
 * All tensors are row-major and on one device. On CUDA devices it is cuBLASLt from the JavaCPP CUDA presets,
 * run on the current stream ({@link io.github.bnb4j.core.CudaStream#current}); on the CPU a blocked,
 * multi-threaded kernel whose sums run in a fixed order. CPU and CUDA agree within the rounding of an f32 sum,
 * not bit for bit (cuBLAS's summation order depends on the algorithm it picks; docs/DECISIONS.md).
 *
 * <p>A CUDA host without cuBLAS (CUDA 13's {@code libcublasLt.so.13}) gets a
 * {@link io.github.bnb4j.nativelib.BnbException} with status {@code NO_BACKEND} naming what to install.
 * Thread-safe: calls from several threads may run at once (each thread has its own cuBLASLt handle).
 */
public final class Gemm {
    private static final Set<DType> TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Gemm() {
    }

    /**
     * {@code x · weightᵀ}: the {@code nn.Linear} product.
     *
     * @param x      [..., K] (leading dimensions flattened to M rows)
     * @param weight [N, K], same dtype and device as {@code x}
     * @return a new tensor [..., N]
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if the shapes do not chain, K is 0, or the devices differ
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
     * {@code op(a) · op(b)}.
     *
     * @return a new tensor [M, N]
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if the inner sizes differ, K is 0, or the devices or dtypes differ
     * @throws UnsupportedOperationException if the dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor matmul(MatrixOperand a, MatrixOperand b) {
        MatmulShape s = Shapes.requireMatmul(a, b);
        Tensor out = Tensor.empty(a.tensor().dtype(), a.tensor().device(), s.m(), s.n());
        return runOrClose(out, () -> run(a, b, 1f, 0f, null, out, s));
    }

    /**
     * {@code out = alpha · op(a) · op(b) + beta · out} into a caller-owned tensor; allocates nothing.
     * {@code beta = 0} ignores what {@code out} held (NaN included).
     *
     * @param out [M, N], same dtype and device as {@code a}; modified in place
     * @throws IllegalArgumentException as {@link #matmul}, if {@code out} is not [M, N], or if alpha or beta
     *                                  is not finite; {@code out} is then unchanged
     */
    public static void gemmInto(MatrixOperand a, MatrixOperand b, float alpha, float beta, Tensor out) {
        MatmulShape s = Shapes.requireMatmul(a, b);
        s.requireOutput(out, "out");
        run(a, b, alpha, beta, null, out, s);
    }

    /**
     * {@code out = alpha · op(a) · op(b) + beta · out + bias} into a caller-owned tensor.
     *
     * @param bias [N], same dtype and device as {@code a}
     * @throws IllegalArgumentException as {@link #gemmInto(MatrixOperand, MatrixOperand, float, float, Tensor)},
     *                                  or if {@code bias} is not [N]
     */
    public static void gemmInto(MatrixOperand a, MatrixOperand b, float alpha, float beta, Tensor bias, Tensor out) {
        Objects.requireNonNull(bias, "bias");
        MatmulShape s = Shapes.requireMatmul(a, b);
        s.requireOutput(out, "out");
        run(a, b, alpha, beta, bias, out, s);
    }

    private static Tensor linearImpl(Tensor x, Tensor weight, Tensor bias) {
        Objects.requireNonNull(x, "x");
        Shapes.requireMatrix(weight, "weight");
        if (x.rank() < 1) {
            throw new IllegalArgumentException("x must be [..., K], got a scalar");
        }
        long k = x.size(x.rank() - 1);
        if (k != weight.size(1)) {
            throw new IllegalArgumentException("x's last dimension (" + k + ") must equal weight's second dimension ("
                    + weight.size(1) + ")");
        }
        long m = k == 0 ? 0 : x.numel() / k;
        MatrixOperand a = MatrixOperand.of(x.rank() == 2 ? x : x.reshape(m, k));
        MatrixOperand b = MatrixOperand.transposed(weight);
        MatmulShape s = Shapes.requireMatmul(a, b);
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = s.n();
        Tensor out = Tensor.empty(x.dtype(), x.device(), outShape);
        Tensor out2d = out.rank() == 2 ? out : out.reshape(s.m(), s.n());
        return runOrClose(out, () -> run(a, b, 1f, 0f, bias, out2d, s));
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

    private static void run(MatrixOperand ma, MatrixOperand mb, float alpha, float beta, Tensor bias, Tensor out,
                            MatmulShape s) {
        Tensor a = ma.tensor();
        Device d = a.device();
        DType t = a.dtype();
        if (!TYPES.contains(t)) {
            throw new UnsupportedOperationException("gemm does not support dtype " + t + " on " + d + "; supported: "
                    + TYPES);
        }
        requireLike(mb.tensor(), t, d, "b");
        requireLike(out, t, d, "out");
        if (bias != null) {
            requireLike(bias, t, d, "bias");
            if (bias.rank() != 1 || bias.size(0) != s.n()) {
                throw new IllegalArgumentException("bias must be [" + s.n() + "], got "
                        + Arrays.toString(bias.shape()));
            }
        }
        if (s.k() == 0) {
            throw new IllegalArgumentException("the inner size K must be >= 1, got 0");
        }
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
            throw new IllegalArgumentException("alpha and beta must be finite, got " + alpha + " and " + beta);
        }
        if (s.m() == 0 || s.n() == 0) {
            return;
        }
        try (TensorUse use = TensorUse.of(a, mb.tensor(), bias, out)) {
            NativeGemm.gemm(ma.transpose() == MatrixOperand.Transpose.TRANSPOSED,
                    mb.transpose() == MatrixOperand.Transpose.TRANSPOSED, s.m(), s.n(), s.k(), alpha, beta, a,
                    mb.tensor(), bias, out);
        }
    }

    private static void requireLike(Tensor x, DType t, Device d, String name) {
        if (x.dtype() != t || !x.device().equals(d)) {
            throw new IllegalArgumentException(name + " must be " + t + " on " + d + " like a, got " + x);
        }
    }
}
