package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Tensor;

/**
 * The result of {@link LayerNorms#forward}: the normalized output and the row statistics its backward needs. The
 * caller owns and closes all three.
 *
 * @param y    x's dtype and shape
 * @param mean F32 [rows]: the mean of each row of x (rows = the product of x's leading dimensions)
 * @param rstd F32 [rows]: {@code 1 / sqrt(var + eps)} of each row, var biased (divided by cols)
 */
public record LayerNormOutput(Tensor y, Tensor mean, Tensor rstd) implements AutoCloseable {
    /** Closes the three tensors. */
    @Override
    public void close() {
        NnChecks.closeAll(y, mean, rstd);
    }
}
