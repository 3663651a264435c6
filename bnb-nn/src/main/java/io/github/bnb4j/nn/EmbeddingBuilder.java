package io.github.bnb4j.nn;

import java.util.Objects;
import java.util.function.Function;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;

/**
 * Options of a dense {@link Embedding} or {@link StableEmbedding} ({@code num_embeddings, embedding_dim,
 * padding_idx=None, device=None, dtype=None}), upstream's defaults unless set: no padding row, F32, the CPU, an
 * unseeded generator. ({@code max_norm}, {@code scale_grad_by_freq} and {@code sparse} are not offered: the
 * gradient is always a dense [V, D] tensor with only the looked-up rows non-zero.)
 *
 * @param <E> the layer built
 */
public final class EmbeddingBuilder<E extends Module> {
    private final long numEmbeddings;
    private final long embeddingDim;
    private final Function<EmbeddingOptions, E> factory;
    private long paddingIdx = -1;
    private DType dtype = DType.F32;
    private Device device = Device.cpu();
    private Long seed;
    private boolean zeroInit;

    EmbeddingBuilder(long numEmbeddings, long embeddingDim, Function<EmbeddingOptions, E> factory) {
        this.numEmbeddings = LinearMath.requireFeatures(numEmbeddings, "numEmbeddings");
        this.embeddingDim = LinearMath.requireFeatures(embeddingDim, "embeddingDim");
        this.factory = factory;
    }

    /**
     * The padding row (torch's {@code padding_idx}): initialised to zeros, and lookups of it add no gradient. A
     * negative value counts from the end, as in torch.
     *
     * @return this builder
     * @throws IllegalArgumentException unless in [-V, V)
     */
    public EmbeddingBuilder<E> paddingIdx(long value) {
        if (value < -numEmbeddings || value >= numEmbeddings) {
            throw new IllegalArgumentException("paddingIdx must be in [" + -numEmbeddings + ", " + numEmbeddings
                    + "), got " + value);
        }
        this.paddingIdx = value < 0 ? value + numEmbeddings : value;
        return this;
    }

    /**
     * The dtype of the table and the output (default F32).
     *
     * @return this builder
     * @throws IllegalArgumentException unless F32, F16 or BF16
     */
    public EmbeddingBuilder<E> dtype(DType value) {
        this.dtype = LinearMath.requireFloat(value, "dtype");
        return this;
    }

    /** Where the layer's tensors live (default the CPU). @return this builder */
    public EmbeddingBuilder<E> device(Device value) {
        this.device = Objects.requireNonNull(value, "device");
        return this;
    }

    /** Seeds the initialisation (default: unseeded). @return this builder */
    public EmbeddingBuilder<E> seed(long value) {
        this.seed = value;
        return this;
    }

    /**
     * Starts the table at zero, made on the device, instead of its random initialisation: for a table loaded next
     * (a checkpoint's), so a large vocabulary draws no host random numbers and needs no host array. Default false.
     *
     * @return this builder
     */
    public EmbeddingBuilder<E> zeroInit(boolean value) {
        this.zeroInit = value;
        return this;
    }

    /** The layer, initialised. */
    public E build() {
        return factory.apply(options());
    }

    /** The options collected so far. */
    EmbeddingOptions options() {
        return new EmbeddingOptions(numEmbeddings, embeddingDim, paddingIdx, dtype, device, seed, zeroInit);
    }
}
