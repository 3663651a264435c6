package io.github.bnb4j.nn;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * What {@link Embedding8bit} and {@link Embedding4bit} share: a frozen quantized table [V, D] looked up for
 * inference. Forward gathers the quantized rows and their scales and dequantizes only those, into the layer's dtype;
 * backward throws (upstream's quantized embeddings have no gradient: the table is frozen, and integer indices have
 * none). A dense {@code weight} [V, D] loaded into the layer (upstream's way: {@code load_state_dict} of an
 * {@code nn.Embedding}'s state dict, then {@code .to(device)}) is quantized on load.
 */
public abstract sealed class QuantizedEmbedding extends Module permits Embedding8bit, Embedding4bit {
    private final long numEmbeddings;
    private final long embeddingDim;
    private final DType dtype;

    QuantizedEmbedding(long numEmbeddings, long embeddingDim, DType dtype) {
        this.numEmbeddings = numEmbeddings;
        this.embeddingDim = embeddingDim;
        this.dtype = dtype;
    }

    /**
     * The dequantized rows at {@code input}.
     *
     * @param input I32 or I64 indices of any shape on the layer's device, each in [0, V)
     * @return [input.shape..., D] of the layer's dtype
     * @throws IllegalArgumentException if the input is not I32/I64 on the layer's device, or (on the CPU) an index
     *                                  is out of range, naming its position and value
     */
    @Override
    protected final Tensor forwardImpl(Tensor input) {
        LayerChecks.requireIndices(this, input, device());
        try {
            return lookup(input);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(describe() + ": " + e.getMessage(), e);
        }
    }

    /** The dequantized rows; indices are I32/I64 on the device. */
    abstract Tensor lookup(Tensor indices);

    /** @throws UnsupportedOperationException always: the quantized table is frozen and indices have no gradient */
    @Override
    protected final Tensor backwardImpl(Tensor gradOutput) {
        throw new UnsupportedOperationException(describe() + ": backward is not supported: a quantized embedding is"
                + " inference-only (its table is frozen and integer indices have no gradient, as upstream); train an"
                + " Embedding or StableEmbedding and quantize it by loading its state dict");
    }

    /** V. */
    public final long numEmbeddings() {
        return numEmbeddings;
    }

    /** D. */
    public final long embeddingDim() {
        return embeddingDim;
    }

    /** The dtype of the output (upstream's {@code self.dtype}: the table's dtype before quantization). */
    public final DType dtype() {
        return dtype;
    }

    /** The device of the quantized table. */
    public abstract Device device();

    /** Bytes of the quantized table and its statistics. */
    public abstract long weightBytes();

    /** Options of a quantized embedding, upstream's defaults unless set: F32 output, CPU, unseeded. */
    abstract static class Options<B extends Options<B>> {
        final long numEmbeddings;
        final long embeddingDim;
        DType dtype = DType.F32;
        Device device = Device.cpu();
        Long seed;

        Options(long numEmbeddings, long embeddingDim) {
            this.numEmbeddings = LinearMath.requireFeatures(numEmbeddings, "numEmbeddings");
            this.embeddingDim = LinearMath.requireFeatures(embeddingDim, "embeddingDim");
        }

        abstract B self();

        /**
         * The dtype of the table before quantization and of the output (default F32).
         *
         * @return this builder
         * @throws IllegalArgumentException unless F32, F16 or BF16
         */
        public B dtype(DType value) {
            this.dtype = LinearMath.requireFloat(value, "dtype");
            return self();
        }

        /** Where the layer's tensors live (default the CPU). @return this builder */
        public B device(Device value) {
            this.device = Objects.requireNonNull(value, "device");
            return self();
        }

        /** Seeds the initial table ({@code normal(0, 1)}, as {@code torch.nn.Embedding}). @return this builder */
        public B seed(long value) {
            this.seed = value;
            return self();
        }

        /** The initial dense table, {@code normal(0, 1)}; the caller quantizes and closes it. */
        Tensor initialTable() {
            return Init.normalTable(Init.generator(seed), numEmbeddings, embeddingDim, dtype, device);
        }
    }
}
