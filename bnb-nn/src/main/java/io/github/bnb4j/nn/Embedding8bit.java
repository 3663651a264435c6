package io.github.bnb4j.nn;

import java.util.Map;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Int8;
import io.github.bnb4j.core.functional.Int8StateDict;
import io.github.bnb4j.core.functional.nn.Embeddings;

/**
 * An LLM.int8() embedding (upstream {@code Embedding8bit(num_embeddings, embedding_dim, device=None, dtype=None)}):
 * the table W [V, D] as row-wise int8 codes CB [V, D] and row absmax SCB [V] ({@link Int8Params}, threshold 0):
 * <pre>
 *   forward:   y[i..., :] = CB[indices[i...], :] · SCB[indices[i...]] / 127    (in f32, rounded to the dtype)
 * </pre>
 * It gathers the int8 rows and their scales and dequantizes only those ({@code Int8.vectorwiseDequant}). The table
 * starts as {@code torch.nn.Embedding}'s {@code normal(0, 1)}, quantized at construction (upstream quantizes at the
 * first move to a device). Inference only: see {@link QuantizedEmbedding}.
 *
 * <p><b>State dict.</b> Upstream raises {@code NotImplementedError} when saving this layer; bnb4j writes the keys of
 * the same weight in a frozen {@code Linear8bitLt}: {@code weight} (I8 [V, D]), {@code SCB} (F32 [V]),
 * {@code weight_format} (U8 0), and loads those or a dense {@code weight} [V, D] (an {@code nn.Embedding}'s), which
 * it quantizes.
 */
public final class Embedding8bit extends QuantizedEmbedding {
    private Int8Params weight;

    /**
     * {@code Embedding8bit(numEmbeddings, embeddingDim)}: F32 output, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public Embedding8bit(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim));
    }

    private Embedding8bit(Builder b) {
        super(b.numEmbeddings, b.embeddingDim, b.dtype);
        try (Tensor dense = b.initialTable()) {
            this.weight = Int8Params.quantize(dense, 0f);
        }
    }

    /**
     * A builder with upstream's defaults.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static Builder builder(long numEmbeddings, long embeddingDim) {
        return new Builder(numEmbeddings, embeddingDim);
    }

    @Override
    Tensor lookup(Tensor indices) {
        Int8Params w = weight;
        try (Tensor codes = Embeddings.gather(w.int8().cb(), indices);
                Tensor scales = Embeddings.gather(w.int8().scb().reshape(numEmbeddings(), 1), indices)) {
            return Int8.vectorwiseDequant(codes, scales.reshape(indices.numel()), dtype());
        }
    }

    /** The int8 table and its row statistics. */
    public Int8Params weight() {
        return weight;
    }

    @Override
    public Device device() {
        return weight.device();
    }

    @Override
    public long weightBytes() {
        return weight.byteSize();
    }

    @Override
    void addOwnState(String prefix, Map<String, Tensor> out) {
        out.putAll(weight.stateDict(prefix));
    }

    @Override
    Staged stageLoad(StateEntries entries) {
        Int8Params loaded = Int8Weights.load(entries, numEmbeddings(), embeddingDim(), 0f, device());
        return Staged.of(() -> {
            Int8Params old = weight;
            weight = loaded;
            old.close();
        }, loaded::close);
    }

    @Override
    Staged stageMove(Device device) {
        if (device.equals(device())) {
            return Staged.NOTHING;
        }
        Int8Params moved = weight.frozenTo(device);
        return Staged.of(() -> {
            Int8Params old = weight;
            weight = moved;
            old.close();
        }, moved::close);
    }

    @Override
    void closeOwned() {
        weight.close();
    }

    /** Options of an {@link Embedding8bit}. */
    public static final class Builder extends QuantizedEmbedding.Options<Builder> {
        private Builder(long numEmbeddings, long embeddingDim) {
            super(numEmbeddings, embeddingDim);
        }

        @Override
        Builder self() {
            return this;
        }

        /** The layer, its table quantized. */
        public Embedding8bit build() {
            return new Embedding8bit(this);
        }
    }
}
