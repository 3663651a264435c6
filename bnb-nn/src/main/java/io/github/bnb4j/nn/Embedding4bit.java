package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.AbsmaxStorage;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.FourBitOptions;
import io.github.bnb4j.core.functional.FourBitState;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.core.functional.nn.Embeddings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 4-bit embedding (upstream {@code Embedding4bit(num_embeddings, embedding_dim, dtype=None, quant_type="fp4",
 * quant_storage=uint8, device=None)}; {@link EmbeddingNF4} and {@link EmbeddingFP4} fix the type): the table W
 * [V, D] as NF4/FP4 codes ({@link Params4bit}) with blocksize 64 and plain F32 absmax (upstream's
 * {@code compress_statistics=None}).
 * <pre>
 *   forward:   y[i..., :] = dequant(W)[indices[i...], :]          (in f32, rounded to the layer's dtype)
 * </pre>
 * When D is a multiple of the blocksize (and the scales are plain), each row is D/2 whole bytes and D/64 whole
 * blocks, so forward gathers only the looked-up packed rows and their absmax and dequantizes those (upstream's
 * partial dequantization). Otherwise it dequantizes the whole table per call, as upstream, and the constructor warns
 * ("Embedding size D is not divisible by block size 64. This will lead to slow inference."). The table starts as
 * {@code torch.nn.Embedding}'s {@code normal(0, 1)}, quantized at construction. Inference only: see
 * {@link QuantizedEmbedding}.
 *
 * <p><b>State dict.</b> Upstream raises {@code NotImplementedError} when saving this layer; bnb4j writes the keys of
 * the same weight in {@code Linear4bit}: {@code weight} (U8 [ceil(V·D / 2), 1]), {@code weight.absmax},
 * {@code weight.quant_map}, {@code weight.quant_state.bitsandbytes__nf4|fp4}, and loads those (a checkpoint's
 * blocksize and nesting are taken as written) or a dense {@code weight} [V, D], which it quantizes.
 */
public sealed class Embedding4bit extends QuantizedEmbedding permits EmbeddingNF4, EmbeddingFP4 {
    private static final Logger LOG = LoggerFactory.getLogger(Embedding4bit.class);

    private final FourBitOptions options;
    private Params4bit weight;

    /**
     * {@code Embedding4bit(numEmbeddings, embeddingDim)}: FP4, F32 output, on the CPU.
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public Embedding4bit(long numEmbeddings, long embeddingDim) {
        this(builder(numEmbeddings, embeddingDim));
    }

    Embedding4bit(Builder<?> b) {
        super(b.numEmbeddings, b.embeddingDim, b.dtype);
        this.options = new FourBitOptions(b.quantType, Blocksize.B64, AbsmaxStorage.PLAIN);
        if (b.embeddingDim % options.blocksize().value() != 0) {
            LOG.warn("Embedding size {} is not divisible by block size {}. This will lead to slow inference.",
                    b.embeddingDim, options.blocksize().value());
        }
        try (Tensor dense = b.initialTable()) {
            this.weight = Params4bit.quantize(dense, options);
        }
    }

    /**
     * A builder with upstream's defaults (FP4).
     *
     * @throws IllegalArgumentException if a size is below 1
     */
    public static Builder<? extends Embedding4bit> builder(long numEmbeddings, long embeddingDim) {
        return new Builder<Embedding4bit>(numEmbeddings, embeddingDim, null, Embedding4bit::new);
    }

    @Override
    Tensor lookup(Tensor indices) {
        Params4bit w = weight;
        FourBitState s = w.state();
        long dim = embeddingDim();
        long[] outShape = Arrays.copyOf(indices.shape(), indices.rank() + 1);
        outShape[indices.rank()] = dim;
        if (dim % s.blocksize().value() != 0 || !(s.scales() instanceof AbsmaxScales.Plain plain)) {
            try (Tensor table = w.dequantize()) {
                return Casts.replace(Embeddings.gather(table, indices), dtype());
            }
        }
        long blocks = dim / s.blocksize().value();
        Tensor out = Tensor.empty(dtype(), w.device(), outShape);
        try (Tensor packed = Embeddings.gather(w.packed().reshape(numEmbeddings(), dim / 2), indices);
                Tensor absmax = Embeddings.gather(plain.absmax().reshape(numEmbeddings(), blocks), indices)) {
            // The gathered rows' own state; it borrows the code book, so it is not closed here.
            FourBitState rows = new FourBitState(new long[] {indices.numel(), dim}, s.dtype(), s.blocksize(),
                    s.quantType(), s.code(), new AbsmaxScales.Plain(absmax.reshape(absmax.numel())));
            FourBit.dequantizeInto(packed, rows, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** The 4-bit table. */
    public Params4bit weight() {
        return weight;
    }

    /** NF4 or FP4. */
    public QuantType quantType() {
        return options.quantType();
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
        out.put(prefix + "weight", weight.packedView());
        out.putAll(weight.quantStateDict(prefix + "weight."));
    }

    @Override
    Staged stageLoad(StateEntries entries) {
        Params4bit loaded = FourBitWeights.load(entries, numEmbeddings(), embeddingDim(), options, device());
        return Staged.of(() -> {
            Params4bit old = weight;
            weight = loaded;
            old.close();
        }, loaded::close);
    }

    @Override
    Staged stageMove(Device device) {
        if (device.equals(device())) {
            return Staged.NOTHING;
        }
        Params4bit moved = weight.to(device);
        return Staged.of(() -> {
            Params4bit old = weight;
            weight = moved;
            old.close();
        }, moved::close);
    }

    @Override
    void closeOwned() {
        weight.close();
    }

    /**
     * Options of an {@link Embedding4bit} (or {@link EmbeddingNF4} / {@link EmbeddingFP4}).
     *
     * @param <E> the layer built
     */
    public static final class Builder<E extends Embedding4bit> extends QuantizedEmbedding.Options<Builder<E>> {
        private final QuantType fixedType;
        private final Function<Builder<E>, E> factory;
        private QuantType quantType;

        Builder(long numEmbeddings, long embeddingDim, QuantType fixedType, Function<Builder<E>, E> factory) {
            super(numEmbeddings, embeddingDim);
            this.fixedType = fixedType;
            this.factory = factory;
            this.quantType = fixedType == null ? QuantType.FP4 : fixedType;
        }

        @Override
        Builder<E> self() {
            return this;
        }

        /**
         * NF4 or FP4 (default FP4, as upstream).
         *
         * @return this builder
         * @throws IllegalArgumentException for {@link EmbeddingNF4} / {@link EmbeddingFP4}, whose type is fixed,
         *                                  when {@code value} is the other one
         */
        public Builder<E> quantType(QuantType value) {
            Objects.requireNonNull(value, "quantType");
            if (fixedType != null && value != fixedType) {
                throw new IllegalArgumentException("quantType of this layer is fixed to " + fixedType + ", got "
                        + value);
            }
            this.quantType = value;
            return this;
        }

        /** The layer, its table quantized. */
        public E build() {
            return factory.apply(this);
        }
    }
}
