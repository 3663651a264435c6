package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Tensor;

/**
 * The result of {@link CrossEntropy#forward}: the loss as a device scalar (read it when the host needs it; nothing
 * synchronizes before) and what the backward needs. The caller owns and closes the three tensors.
 *
 * @param loss        F32 scalar (rank 0): the mean over the rows not ignored (NaN when all are)
 * @param lse         F32 [rows]: {@code log Σ_c exp(logits[m, c])} per row
 * @param count       F32 scalar: the number of rows not ignored
 * @param ignoreIndex the label value that marks a row as ignored
 */
public record CrossEntropyLoss(Tensor loss, Tensor lse, Tensor count, long ignoreIndex) implements AutoCloseable {
    /** Closes the three tensors. */
    @Override
    public void close() {
        NnChecks.closeAll(loss, lse, count);
    }
}
