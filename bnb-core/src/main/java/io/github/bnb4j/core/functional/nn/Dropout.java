package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Dropout with a counter-based mask ({@link DropoutMask}): {@code y[i] = keep(i) ? x[i] / (1 - p) : 0}. Nothing is
 * stored between forward and backward: the backward recomputes the mask from the same {@link DropoutMask}. x is
 * F32, F16 or BF16 of any shape (f32 arithmetic, one rounding); ops run on x's device (CUDA: the current stream, no
 * host sync) and never modify their inputs.
 */
public final class Dropout {
    private Dropout() {
    }

    /**
     * The forward.
     *
     * @param x    F32, F16 or BF16, any shape
     * @param mask which mask (p, seed, offset)
     * @return a new tensor of x's dtype and shape
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor forward(Tensor x, DropoutMask mask) {
        return apply(x, mask, "dropout");
    }

    /**
     * The backward: {@code gradX[i] = keep(i) ? gradY[i] / (1 - p) : 0}, with the forward's mask.
     *
     * @param gradY F32, F16 or BF16: the gradient of the forward's output
     * @param mask  the forward's mask
     * @return a new tensor of gradY's dtype and shape
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if gradY's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if gradY is closed
     */
    public static Tensor backward(Tensor gradY, DropoutMask mask) {
        return apply(gradY, mask, "dropout backward");
    }

    private static Tensor apply(Tensor x, DropoutMask mask, String op) {
        requireFloat(x, "x", op);
        Objects.requireNonNull(mask, "mask");
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, out)) {
            NativeNnOps.dropout(x, mask.p(), mask.seed(), mask.offset(), out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }
}
