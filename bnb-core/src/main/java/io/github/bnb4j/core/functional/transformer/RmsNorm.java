package io.github.bnb4j.core.functional.transformer;

import static io.github.bnb4j.core.functional.transformer.TransformerChecks.requireShape;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeTransformer;

/**
 * RMSNorm over the last dimension, exactly as transformers' {@code LlamaRMSNorm}: for each row of x [..., n]
 * <pre>
 *   rstd = 1 / sqrt(mean(x²) + eps)          (f32)
 *   h    = dtype(x · rstd)                    (normalised in f32, cast to the input dtype)
 *   out  = dtype(weight · h)                  (then scaled by the weight, in the weight's dtype)
 * </pre>
 * and its gradients (the cast passes gradients through): with {@code gh = g · weight},
 * {@code dx = rstd · (gh − x · rstd² · mean(gh · x))} and {@code dweight = Σ_rows g · h}.
 * x and weight are F32, F16 or BF16 of one dtype (a model keeps its norms in its own dtype, as transformers does);
 * the arithmetic is f32. Every argument is checked before a kernel runs; an op that throws has written nothing.
 * CUDA kernels run on the device's current stream without synchronizing.
 */
public final class RmsNorm {
    private RmsNorm() {
    }

    /**
     * The normalised x.
     *
     * @param x      F32, F16 or BF16 [..., n], n &gt;= 1
     * @param weight [n], x's dtype and device
     * @param eps    finite, &gt;= 0 (Llama: the config's {@code rms_norm_eps})
     * @return a new tensor of x's shape and dtype
     * @throws NullPointerException          if a tensor is null
     * @throws IllegalArgumentException      if x is a scalar or has n = 0, weight is not [n] of x's dtype on its
     *                                       device, or eps is negative or not finite
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor forward(Tensor x, Tensor weight, float eps) {
        check(x, weight, eps);
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try {
            run(x, weight, eps, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@link #forward} into a caller-owned tensor, which may be x itself (in place).
     *
     * @param out x's dtype, shape and device; overwritten
     * @throws IllegalArgumentException as {@link #forward}, or if out does not match x
     */
    public static void forwardInto(Tensor x, Tensor weight, float eps, Tensor out) {
        check(x, weight, eps);
        requireShape(out, x.dtype(), x.shape(), x.device(), "out");
        run(x, weight, eps, out);
    }

    /**
     * The gradients of {@link #forward} for the gradient of its output.
     *
     * @param gradOut the gradient of out: x's dtype, shape and device
     * @return new tensors: the input's gradient (x's shape) and the weight's ([n]), both in x's dtype; the caller
     *         closes them
     * @throws IllegalArgumentException as {@link #forward}, or if gradOut does not match x
     */
    public static RmsNormGradients backward(Tensor gradOut, Tensor x, Tensor weight, float eps) {
        checkBackward(gradOut, x, weight, eps);
        Tensor gradX = null;
        Tensor gradWeight = null;
        try {
            gradX = Tensor.empty(x.dtype(), x.device(), x.shape());
            gradWeight = Tensor.empty(x.dtype(), x.device(), weight.shape());
            runBackward(gradOut, x, weight, eps, gradX, gradWeight, false);
            return new RmsNormGradients(gradX, gradWeight);
        } catch (RuntimeException e) {
            TransformerChecks.closeAll(gradX, gradWeight);
            throw e;
        }
    }

    /**
     * The gradients of {@link #forward}, the weight's added to {@code weightGrad} (as a module accumulates its
     * parameters' gradients over steps; one rounding of the f32 sum to the dtype).
     *
     * @param weightGrad [n], x's dtype and device; incremented by the weight's gradient
     * @return a new tensor: the input's gradient
     * @throws IllegalArgumentException as {@link #backward}, or if weightGrad does not match weight
     */
    public static Tensor backwardAccumulating(Tensor gradOut, Tensor x, Tensor weight, float eps, Tensor weightGrad) {
        checkBackward(gradOut, x, weight, eps);
        requireShape(weightGrad, x.dtype(), weight.shape(), x.device(), "weightGrad");
        Tensor gradX = Tensor.empty(x.dtype(), x.device(), x.shape());
        try {
            runBackward(gradOut, x, weight, eps, gradX, weightGrad, true);
            return gradX;
        } catch (RuntimeException e) {
            gradX.close();
            throw e;
        }
    }

    private static void check(Tensor x, Tensor weight, float eps) {
        TransformerChecks.requireFloat(x, "x", "rmsNorm");
        long n = TransformerChecks.lastDimension(x, "x");
        Objects.requireNonNull(weight, "weight");
        requireShape(weight, x.dtype(), new long[] {n}, x.device(), "weight");
        TransformerChecks.requireEps(eps);
    }

    private static void checkBackward(Tensor gradOut, Tensor x, Tensor weight, float eps) {
        check(x, weight, eps);
        requireShape(gradOut, x.dtype(), x.shape(), x.device(), "gradOut");
    }

    private static void run(Tensor x, Tensor weight, float eps, Tensor out) {
        long n = x.size(x.rank() - 1);
        try (TensorUse use = TensorUse.of(x, weight, out)) {
            NativeTransformer.rmsNorm(x, weight, out, null, TransformerChecks.rows(x), n, eps);
        }
    }

    private static void runBackward(Tensor gradOut, Tensor x, Tensor weight, float eps, Tensor gradX,
                                    Tensor gradWeight, boolean accumulate) {
        long n = x.size(x.rank() - 1);
        long rows = TransformerChecks.rows(x);
        Device d = x.device();
        try (Tensor rstd = Tensor.empty(DType.F32, d, rows);
             TensorUse use = TensorUse.of(gradOut, x, weight, gradX, gradWeight, rstd)) {
            NativeTransformer.rmsNormBackward(gradOut, x, weight, gradX, gradWeight, rstd, rows, n, eps, accumulate);
        }
    }
}
