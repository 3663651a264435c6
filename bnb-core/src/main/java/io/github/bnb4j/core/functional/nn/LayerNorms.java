package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireLike;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireShape;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * LayerNorm over the last dimension, torch semantics (biased variance). For each row r of x [..., N]:
 * <pre>
 *   mean[r] = Σ_c x[r, c] / N      var[r] = Σ_c (x[r, c] - mean[r])² / N      rstd[r] = 1 / sqrt(var[r] + eps)
 *   y[r, c] = (x[r, c] - mean[r]) · rstd[r] · weight[c] + bias[c]      (weight and bias optional)
 * </pre>
 * and the backward, with {@code xhat = (x - mean) · rstd} and {@code g = gradY · weight}:
 * <pre>
 *   gradX[r, c]    = rstd[r] · (g - mean_c(g) - xhat · mean_c(g · xhat))
 *   gradWeight[c] += Σ_r gradY[r, c] · xhat[r, c]          gradBias[c] += Σ_r gradY[r, c]
 * </pre>
 * x, weight, bias and the gradients are F32, F16 or BF16 of one dtype; sums and statistics are f32, each output
 * rounded once. Ops run on x's device (CUDA: the current stream, no host sync). Every argument is checked before
 * a kernel runs; an op that throws has written nothing.
 */
public final class LayerNorms {
    private LayerNorms() {
    }

    /**
     * The forward, keeping the row statistics for {@link #backward}.
     *
     * @param x      F32, F16 or BF16 [..., N], N &gt;= 1
     * @param weight [N] of x's dtype on its device, or null (1)
     * @param bias   [N] of x's dtype on its device, or null (0)
     * @param eps    finite and &gt;= 0 (torch's default is 1e-5)
     * @return y and the statistics, new tensors the caller closes
     * @throws NullPointerException          if x is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if x is a scalar or its last dimension is 0, weight or bias is not [N]
     *                                       of x's dtype on its device, or eps is negative or not finite
     * @throws IllegalStateException         if a tensor is closed
     */
    public static LayerNormOutput forward(Tensor x, Tensor weight, Tensor bias, float eps) {
        long cols = requireInput(x, weight, bias, eps);
        long rows = NnChecks.rows(x);
        Tensor y = null;
        Tensor mean = null;
        Tensor rstd = null;
        try {
            y = Tensor.empty(x.dtype(), x.device(), x.shape());
            mean = Tensor.empty(DType.F32, x.device(), rows);
            rstd = Tensor.empty(DType.F32, x.device(), rows);
            try (TensorUse use = TensorUse.of(x, weight, bias, y, mean, rstd)) {
                NativeNnOps.layerNorm(x, weight, bias, eps, rows, cols, y, mean, rstd);
            }
            return new LayerNormOutput(y, mean, rstd);
        } catch (RuntimeException e) {
            NnChecks.closeAll(y, mean, rstd);
            throw e;
        }
    }

    /**
     * The forward without statistics (inference).
     *
     * @return y, a new tensor of x's dtype and shape
     * @throws NullPointerException          if x is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      as {@link #forward}
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor normalize(Tensor x, Tensor weight, Tensor bias, float eps) {
        long cols = requireInput(x, weight, bias, eps);
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, weight, bias, y)) {
            NativeNnOps.layerNorm(x, weight, bias, eps, NnChecks.rows(x), cols, y, null, null);
            return y;
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
    }

    /**
     * The backward: returns the input's gradient and adds the weight's and bias's gradients into
     * {@code gradWeight} and {@code gradBias} (each optional).
     *
     * @param gradY      the gradient of y: x's dtype, shape and device
     * @param x          the forward's input
     * @param weight     the forward's weight, or null
     * @param saved      the forward's output (only mean and rstd are read)
     * @param gradWeight [N] of x's dtype on its device, accumulated into; or null
     * @param gradBias   [N] of x's dtype on its device, accumulated into; or null
     * @return gradX, a new tensor of x's dtype and shape
     * @throws NullPointerException          if gradY, x or saved is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if gradY does not match x, weight/gradWeight/gradBias is not [N] of x's
     *                                       dtype on its device, or the saved statistics are not F32 [rows]
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor backward(Tensor gradY, Tensor x, Tensor weight, LayerNormOutput saved, Tensor gradWeight,
                                  Tensor gradBias) {
        long cols = requireInput(x, weight, null, 0f);
        requireLike(gradY, x, "gradY", "x");
        Objects.requireNonNull(saved, "saved");
        long rows = NnChecks.rows(x);
        requireShape(saved.mean(), DType.F32, new long[] {rows}, x, "saved.mean");
        requireShape(saved.rstd(), DType.F32, new long[] {rows}, x, "saved.rstd");
        if (gradWeight != null) {
            requireShape(gradWeight, x.dtype(), new long[] {cols}, x, "gradWeight");
        }
        if (gradBias != null) {
            requireShape(gradBias, x.dtype(), new long[] {cols}, x, "gradBias");
        }
        Tensor gradX = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(gradY, x, weight, saved.mean(), saved.rstd(), gradX, gradWeight, gradBias)) {
            NativeNnOps.layerNormBackward(gradY, x, weight, saved.mean(), saved.rstd(), rows, cols, gradX, gradWeight,
                    gradBias);
            return gradX;
        } catch (RuntimeException e) {
            gradX.close();
            throw e;
        }
    }

    /** Checks x, the optional weight and bias, and eps; returns N. */
    private static long requireInput(Tensor x, Tensor weight, Tensor bias, float eps) {
        long cols = NnChecks.lastDimension(x, "x");
        requireFloat(x, "x", "layerNorm");
        if (cols == 0) {
            throw new IllegalArgumentException("x's last dimension must be >= 1, got " + x);
        }
        if (!(eps >= 0) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        }
        if (weight != null) {
            requireShape(weight, x.dtype(), new long[] {cols}, x, "weight");
        }
        if (bias != null) {
            requireShape(bias, x.dtype(), new long[] {cols}, x, "bias");
        }
        return cols;
    }
}
