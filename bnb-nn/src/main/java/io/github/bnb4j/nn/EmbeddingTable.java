package io.github.bnb4j.nn;

import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Embeddings;

/**
 * The trainable table of {@link Embedding} and {@link StableEmbedding}: the {@code weight} [V, D] slot, the optional
 * padding row, the lookup and its sparse gradient, and upstream's 32-bit optimizer-state override for the weight.
 */
final class EmbeddingTable {
    private final Module module;
    private final long numEmbeddings;
    private final long embeddingDim;
    private final long paddingIdx;
    private final ParameterSlot weight;

    /**
     * Registers {@code weight} in {@code module}, upstream's {@code xavier_uniform_} with the padding row zeroed (or
     * zeros, for a table loaded next).
     */
    EmbeddingTable(Module module, EmbeddingOptions o) {
        this.module = module;
        this.numEmbeddings = o.numEmbeddings();
        this.embeddingDim = o.embeddingDim();
        this.paddingIdx = o.paddingIdx();
        Tensor w = o.zeroInit() ? Tensor.zeros(o.dtype(), o.device(), numEmbeddings, embeddingDim)
                : Init.xavierUniformTable(Init.generator(o.seed()), numEmbeddings, embeddingDim, paddingIdx,
                        o.dtype(), o.device());
        this.weight = module.registerParameter("weight", new Parameter("weight", w));
        OptimOverrides.thirtyTwoBitState(weight.parameter());
    }

    /**
     * {@code out[i..., :] = weight[indices[i...], :]}.
     *
     * @throws IllegalArgumentException naming the module for indices that are not I32/I64 on the table's device,
     *                                  or (CPU) out of range
     */
    Tensor lookup(Tensor indices) {
        Tensor w = weight.value();
        LayerChecks.requireIndices(module, indices, w.device());
        try {
            return Embeddings.gather(w, indices);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(module.describe() + ": " + e.getMessage(), e);
        }
    }

    /** {@code grad(weight)[indices[i], :] += gradOut[i, :]}, skipping the padding row; nothing when frozen. */
    void accumulate(Tensor gradOut, Tensor indices) {
        Tensor w = weight.value();
        long[] want = LinearMath.withLast(java.util.Arrays.copyOf(indices.shape(), indices.rank() + 1), embeddingDim);
        LayerChecks.requireShape(module, "gradOutput", gradOut, w.dtype(), want, w.device());
        if (!weight.requiresGrad()) {
            return;
        }
        Tensor grad = weight.gradForAccumulation();
        if (paddingIdx >= 0) {
            Embeddings.backward(gradOut, indices, grad, paddingIdx);
        } else {
            Embeddings.backward(gradOut, indices, grad);
        }
    }

    /** Registers the 32-bit override again for the parameter a move put in the slot. */
    void afterMove() {
        OptimOverrides.thirtyTwoBitState(weight.parameter());
    }

    ParameterSlot weight() {
        return weight;
    }

    long numEmbeddings() {
        return numEmbeddings;
    }

    long embeddingDim() {
        return embeddingDim;
    }

    /** The padding index, or -1 for none. */
    long paddingIdx() {
        return paddingIdx;
    }
}
