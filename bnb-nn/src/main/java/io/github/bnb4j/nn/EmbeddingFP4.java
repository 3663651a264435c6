package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.QuantType;

/** An {@link Embedding4bit} with the FP4 code (upstream {@code EmbeddingFP4(num_embeddings, embedding_dim, ...)}). */
public final class EmbeddingFP4 extends Embedding4bit {
    /**
     * {@code EmbeddingFP4(numEmbeddings, embeddingDim)}: F32 output, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public EmbeddingFP4(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim));
    }

    private EmbeddingFP4(Builder<EmbeddingFP4> b) {
        super(b);
    }

    /**
     * A builder whose quant type is FP4.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static Builder<EmbeddingFP4> builder(long numEmbeddings, long embeddingDim) {
        return new Builder<>(numEmbeddings, embeddingDim, QuantType.FP4, EmbeddingFP4::new);
    }
}
