package io.github.bnb4j.core.functional.transformer;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeTransformer;

/**
 * Softmax and argmax over the last dimension of a tensor [..., n] (the leading dimensions are rows), in f32
 * whatever the dtype (F32, F16 or BF16). Kernels run on the device's current stream without synchronizing; an op
 * that throws has written nothing.
 */
public final class LastDimension {
    private LastDimension() {
    }

    /**
     * {@code out[r, c] = exp(x[r, c] − m) / Σ_j exp(x[r, j] − m)} with {@code m = max_j x[r, j]}, in f32 (torch's
     * {@code softmax(x, dim=-1, dtype=torch.float32)} with outType F32). A row holding NaN, or only −∞, gives NaN.
     *
     * @param x       F32, F16 or BF16 [..., n], n &gt;= 1
     * @param outType F32, F16 or BF16: the result's dtype
     * @return a new tensor of x's shape in outType
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if x is a scalar or n = 0
     * @throws UnsupportedOperationException if x's dtype or outType is not F32, F16 or BF16
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor softmax(Tensor x, DType outType) {
        TransformerChecks.requireFloat(x, "x", "softmax");
        TransformerChecks.requireFloat(outType, x.device(), "outType", "softmax");
        long n = TransformerChecks.lastDimension(x, "x");
        Tensor out = Tensor.empty(outType, x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, out)) {
            NativeTransformer.softmax(x, out, TransformerChecks.rows(x), n);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The index of the largest value of each row, as torch.argmax: ties go to the lowest index, and NaN counts as
     * the largest value (the first NaN wins). Greedy decoding's next token.
     *
     * @param x F32, F16 or BF16 [..., n], n &gt;= 1
     * @return a new I64 tensor of x's leading dimensions ([] for a vector), on x's device
     * @throws NullPointerException          if x is null
     * @throws IllegalArgumentException      if x is a scalar or n = 0
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor argmax(Tensor x) {
        TransformerChecks.requireFloat(x, "x", "argmax");
        long n = TransformerChecks.lastDimension(x, "x");
        long[] shape = Arrays.copyOf(x.shape(), x.rank() - 1);
        Tensor out = Tensor.empty(DType.I64, x.device(), shape);
        try (TensorUse use = TensorUse.of(x, out)) {
            NativeTransformer.argmax(x, out, TransformerChecks.rows(x), n);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }
}
