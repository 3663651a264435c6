package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireIndices;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireShape;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Softmax cross-entropy with mean reduction, torch's {@code F.cross_entropy(logits, labels, ignore_index=-100)}:
 * <pre>
 *   lse[m]  = log Σ_c exp(logits[m, c])                  (max-shifted, f32)
 *   loss    = Σ over kept rows of (lse[m] - logits[m, labels[m]]) / count
 *   count   = the number of rows with labels[m] != ignoreIndex
 *   grad[m, c] = gradLoss · (exp(logits[m, c] - lse[m]) - [c == labels[m]]) / count   (0 on ignored rows)
 * </pre>
 * logits are F32, F16 or BF16 [M, C] (C &gt;= 1); labels I32 or I64 [M], each ignoreIndex or in [0, C). The loss
 * stays on the device (no host sync). On the CPU a bad label throws before anything is written; on CUDA it makes
 * the loss NaN and is reported by a later call or {@link IndexErrors#check}.
 */
public final class CrossEntropy {
    /** torch's default {@code ignore_index}. */
    public static final long DEFAULT_IGNORE_INDEX = -100;

    private CrossEntropy() {
    }

    /**
     * The loss with torch's default {@code ignore_index} (-100).
     *
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if the logits' dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      as {@link #forward(Tensor, Tensor, long)}
     * @throws IllegalStateException         if a tensor is closed
     */
    public static CrossEntropyLoss forward(Tensor logits, Tensor labels) {
        return forward(logits, labels, DEFAULT_IGNORE_INDEX);
    }

    /**
     * The loss, the mean over the rows whose label is not {@code ignoreIndex}.
     *
     * @param logits      F32, F16 or BF16 [M, C], C &gt;= 1
     * @param labels      I32 or I64 [M] on the logits' device
     * @param ignoreIndex the label that marks a row as ignored
     * @return the loss (an F32 device scalar) and the saved row statistics, new tensors the caller closes
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if the logits' dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the logits are not [M, C] with C &gt;= 1, labels are not I32/I64 [M]
     *                                       on their device, or (on the CPU) a label is out of range, naming its
     *                                       position and value
     * @throws IllegalStateException         if a tensor is closed
     */
    public static CrossEntropyLoss forward(Tensor logits, Tensor labels, long ignoreIndex) {
        requireOperands(logits, labels);
        long rows = logits.size(0);
        Tensor loss = null;
        Tensor lse = null;
        Tensor count = null;
        try {
            loss = Tensor.empty(DType.F32, logits.device());
            lse = Tensor.empty(DType.F32, logits.device(), rows);
            count = Tensor.empty(DType.F32, logits.device());
            try (TensorUse use = TensorUse.of(logits, labels, loss, lse, count)) {
                NativeNnOps.crossEntropy(logits, labels, rows, logits.size(1), ignoreIndex, loss, lse, count);
            }
            return new CrossEntropyLoss(loss, lse, count, ignoreIndex);
        } catch (RuntimeException e) {
            NnChecks.closeAll(loss, lse, count);
            throw e;
        }
    }

    /**
     * The logits' gradient for a loss gradient of 1 (the loss is the final output).
     *
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if the logits' dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      as {@link #backward(Tensor, Tensor, CrossEntropyLoss, Tensor)}
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor backward(Tensor logits, Tensor labels, CrossEntropyLoss saved) {
        return backwardImpl(logits, labels, saved, null);
    }

    /**
     * The logits' gradient, scaled by the loss's gradient (read on the device, no host sync).
     *
     * @param logits   the forward's logits
     * @param labels   the forward's labels
     * @param saved    the forward's result (its ignoreIndex is used)
     * @param gradLoss an F32 scalar on the logits' device
     * @return a new [M, C] tensor of the logits' dtype
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if the logits' dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the operands do not fit as in the forward, the saved tensors are not
     *                                       F32 [M] and scalar, or gradLoss is not an F32 scalar on the device
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor backward(Tensor logits, Tensor labels, CrossEntropyLoss saved, Tensor gradLoss) {
        Objects.requireNonNull(gradLoss, "gradLoss");
        return backwardImpl(logits, labels, saved, gradLoss);
    }

    private static Tensor backwardImpl(Tensor logits, Tensor labels, CrossEntropyLoss saved, Tensor gradLoss) {
        requireOperands(logits, labels);
        Objects.requireNonNull(saved, "saved");
        long rows = logits.size(0);
        requireShape(saved.lse(), DType.F32, new long[] {rows}, logits, "saved.lse");
        requireShape(saved.count(), DType.F32, new long[0], logits, "saved.count");
        if (gradLoss != null) {
            requireShape(gradLoss, DType.F32, new long[0], logits, "gradLoss");
        }
        Tensor grad = Tensor.empty(logits.dtype(), logits.device(), logits.shape());
        try (TensorUse use = TensorUse.of(logits, labels, saved.lse(), saved.count(), gradLoss, grad)) {
            NativeNnOps.crossEntropyBackward(logits, labels, saved.lse(), saved.count(), gradLoss, rows,
                    logits.size(1), saved.ignoreIndex(), grad);
            return grad;
        } catch (RuntimeException e) {
            grad.close();
            throw e;
        }
    }

    private static void requireOperands(Tensor logits, Tensor labels) {
        requireFloat(logits, "logits", "crossEntropy");
        if (logits.rank() != 2 || logits.size(1) < 1) {
            throw new IllegalArgumentException("logits must be [M, C] with C >= 1, got " + logits);
        }
        requireIndices(labels, logits, "labels");
        if (labels.rank() != 1 || labels.size(0) != logits.size(0)) {
            throw new IllegalArgumentException("labels must be [M] = [" + logits.size(0) + "] for logits " + logits
                    + ", got " + labels);
        }
    }
}
