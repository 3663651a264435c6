package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.QuantType;

/** An {@link Embedding4bit} with the NF4 code (upstream {@code EmbeddingNF4(num_embeddings, embedding_dim, ...)}). */
public final class EmbeddingNF4 extends Embedding4bit {
    /**
     * {@code EmbeddingNF4(numEmbeddings, embeddingDim)}: F32 output, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public EmbeddingNF4(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim));
    }

    private EmbeddingNF4(Builder<EmbeddingNF4> b) {
        super(b);
    }

    /**
     * A builder whose quant type is NF4.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static Builder<EmbeddingNF4> builder(long numEmbeddings, long embeddingDim) {
        return new Builder<>(numEmbeddings, embeddingDim, QuantType.NF4, EmbeddingNF4::new);
    }
}
