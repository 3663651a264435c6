package io.github.bnb4j.nn;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.CrossEntropy;

/**
 * Softmax cross-entropy with mean reduction ({@code torch.nn.CrossEntropyLoss(ignore_index=-100)}) over logits
 * [..., C] and class labels [...]:
 * <pre>
 *   loss = mean over the rows r with labels[r] != ignoreIndex of  log Σ_c exp(logits[r, c]) - logits[r, labels[r]]
 *   dlogits[r, c] = gradLoss · (softmax(logits[r])[c] - [c == labels[r]]) / count     (0 on ignored rows)
 * </pre>
 * The loss is an F32 device scalar: nothing synchronizes the host until the caller reads it, so a training step
 * queues loss, backward and optimizer step without a wait. {@link #forward} keeps the logits and labels by reference
 * (keep them open and unchanged until {@link #backward}) and the per-row log-sum-exp, which {@link #close()} or the
 * next forward frees. Not a {@link Module} (it takes two inputs and has no parameters); not thread-safe. On CUDA a
 * label out of range makes the loss NaN and is reported by a later call or {@code IndexErrors.check}.
 */
public final class CrossEntropyLoss implements AutoCloseable {
    private final long ignoreIndex;
    private Tensor savedLogits;
    private Tensor savedLabels;
    private io.github.bnb4j.core.functional.nn.CrossEntropyLoss saved;
    private boolean closed;

    /** torch's default: {@code ignore_index = -100}. */
    public CrossEntropyLoss() {
        this(CrossEntropy.DEFAULT_IGNORE_INDEX);
    }

    /** A loss that skips the rows labelled {@code ignoreIndex}. */
    public CrossEntropyLoss(long ignoreIndex) {
        this.ignoreIndex = ignoreIndex;
    }

    /**
     * The mean loss of a batch, kept for {@link #backward}.
     *
     * @param logits F32, F16 or BF16 [M, C], C &gt;= 1
     * @param labels I32 or I64 [M] on the logits' device
     * @return a new F32 scalar (rank 0) on the logits' device, which the caller owns; NaN when every row is ignored
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if the logits are not F32, F16 or BF16
     * @throws IllegalArgumentException      if the shapes, dtypes or devices do not fit, or (on the CPU) a label is
     *                                       out of range, naming its position and value
     * @throws IllegalStateException         if the loss or a tensor is closed
     */
    public Tensor forward(Tensor logits, Tensor labels) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(labels, "labels");
        requireOpen();
        releaseSaved();
        io.github.bnb4j.core.functional.nn.CrossEntropyLoss result;
        try {
            result = CrossEntropy.forward(logits, labels, ignoreIndex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CrossEntropyLoss: " + e.getMessage(), e);
        }
        saved = result;
        savedLogits = logits;
        savedLabels = labels;
        return result.loss();
    }

    /**
     * The logits' gradient for a loss gradient of 1 (the loss is what is minimized).
     *
     * @return a new tensor of the logits' shape and dtype
     * @throws IllegalStateException if no forward preceded (or its backward already ran), or a tensor is closed
     */
    public Tensor backward() {
        return backward(null);
    }

    /**
     * The logits' gradient, scaled by {@code gradLoss} (an F32 device scalar, read on the device, or null for 1).
     *
     * @return a new tensor of the logits' shape and dtype
     * @throws IllegalArgumentException if gradLoss is not an F32 scalar on the logits' device
     * @throws IllegalStateException    if no forward preceded (or its backward already ran), or a tensor is closed
     */
    public Tensor backward(Tensor gradLoss) {
        requireOpen();
        if (saved == null) {
            throw new IllegalStateException("CrossEntropyLoss: backward before forward; run forward first (each"
                    + " forward allows one backward)");
        }
        Tensor grad;
        try {
            grad = gradLoss == null ? CrossEntropy.backward(savedLogits, savedLabels, saved)
                    : CrossEntropy.backward(savedLogits, savedLabels, saved, gradLoss);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CrossEntropyLoss: " + e.getMessage(), e);
        }
        releaseSaved();
        return grad;
    }

    /** The label that marks a row as ignored. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    private void releaseSaved() {
        if (saved != null) {
            NnTensors.closeAll(saved.lse(), saved.count()); // the loss belongs to the caller
            saved = null;
        }
        savedLogits = null;
        savedLabels = null;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CrossEntropyLoss is closed");
        }
    }

    /** Frees what the last forward kept; later calls throw. Idempotent. */
    @Override
    public void close() {
        releaseSaved();
        closed = true;
    }
}
