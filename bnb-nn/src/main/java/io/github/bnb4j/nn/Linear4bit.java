package io.github.bnb4j.nn;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxStorage;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.FourBitOptions;
import io.github.bnb4j.core.functional.QuantType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The QLoRA layer (upstream {@code Linear4bit(input_features, output_features, bias=True, compute_dtype=None,
 * compress_statistics=True, quant_type="fp4", quant_storage=uint8, device=None)}): a frozen 4-bit weight
 * ({@link Params4bit}) and a trainable bias.
 * <pre>
 *   forward:   y [..., N] = x [..., K] · dequant(W)ᵀ + b       (FourBit.matmul4bit, in x's dtype)
 *   backward:  dx = dy · dequant(W),   grad(b) += Σ_rows dy    (no weight gradient: W is frozen, as upstream)
 * </pre>
 * <b>Dtypes</b>, as upstream: any F32, F16 or BF16 input is taken. The product runs in the compute dtype: the
 * input is cast to it, the bias too (a temporary; upstream casts the bias to the input's dtype for good), and the
 * output is cast back to the input's dtype (one rounding each, {@code Elementwise.cast}). {@code computeDtype} is
 * the one set; unset, the first F32 or BF16 input sets it to its own dtype (upstream {@code set_compute_type}),
 * and F16 inputs compute in F16. The bias and the dense weight the layer starts from have {@code computeDtype}
 * (F32 when unset). Backward casts the same way: dx in the input's dtype, the bias's gradient in its own.
 *
 * <p><b>State dict</b> (upstream's and transformers' keys): {@code weight} (U8 [ceil(N·K / 2), 1]), {@code bias},
 * {@code weight.absmax}, {@code weight.quant_map}, when nested {@code weight.nested_absmax} and
 * {@code weight.nested_quant_map}, and {@code weight.quant_state.bitsandbytes__nf4|fp4} (UTF-8 JSON). Loading
 * takes those entries as written by Python bitsandbytes (the quant type must be the layer's; blocksize and nesting
 * are the checkpoint's), or a dense {@code weight} [N, K], which it quantizes with the layer's options.
 */
public sealed class Linear4bit extends Module implements LinearLayer permits LinearNF4, LinearFP4 {
    private static final Logger LOG = LoggerFactory.getLogger(Linear4bit.class);
    private static final AtomicBoolean F16_WARNED = new AtomicBoolean();

    private final long inFeatures;
    private final long outFeatures;
    private final DType dtype;
    private DType computeDtype;
    private DType savedCompute;
    private final FourBitOptions options;
    private final ParameterSlot bias;
    private Params4bit weight;
    private Tensor savedInput;

    /**
     * {@code Linear4bit(inFeatures, outFeatures)} with upstream's defaults (FP4, nested absmax, blocksize 64, bias)
     * on the CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public Linear4bit(long inFeatures, long outFeatures) {
        this(builder(inFeatures, outFeatures));
    }

    Linear4bit(Builder<?> b) {
        this.inFeatures = b.inFeatures;
        this.outFeatures = b.outFeatures;
        this.computeDtype = b.computeDtype;
        this.dtype = b.computeDtype == null ? DType.F32 : b.computeDtype;
        this.options = new FourBitOptions(b.quantType, b.blocksize,
                b.compressStatistics ? AbsmaxStorage.NESTED : AbsmaxStorage.PLAIN);
        var rng = Init.generator(b.seed);
        try (Tensor dense = Init.initial(b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures, inFeatures)) {
            this.weight = Params4bit.quantize(dense, options);
        }
        try {
            this.bias = b.bias
                    ? registerParameter("bias",
                            Init.initialParameter("bias", b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures))
                    : null;
        } catch (RuntimeException e) {
            weight.close();
            throw e;
        }
    }

    /**
     * A builder with upstream's defaults: bias, no compute dtype, nested absmax, FP4, blocksize 64, CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public static Builder<? extends Linear4bit> builder(long inFeatures, long outFeatures) {
        return new Builder<Linear4bit>(inFeatures, outFeatures, null, Linear4bit::new);
    }

    /**
     * Forward: {@code x · dequant(W)ᵀ + b} in the compute dtype; see the class comment.
     *
     * @param input F32, F16 or BF16 [..., K] on the layer's device
     * @return [..., N] of the input's dtype
     * @throws IllegalArgumentException if the input's dtype, last dimension or device does not fit
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        Params4bit w = weight;
        LinearMath.rows(this, "input", input, null, w.device(), inFeatures);
        DType compute = computeFor(input);
        Tensor x = null;
        Tensor b = null;
        try {
            x = Casts.to(input, compute);
            Tensor out;
            if (bias == null) {
                out = FourBit.matmul4bit(x, w.packed(), w.state());
            } else {
                b = Casts.to(bias.value(), compute);
                out = FourBit.matmul4bit(x, w.packed(), w.state(), b);
            }
            out = Casts.replace(out, input.dtype());
            savedInput = isTraining() ? input : null;
            savedCompute = compute;
            return out;
        } finally {
            Casts.release(x, input);
            Casts.release(b, bias == null ? null : bias.value());
        }
    }

    /**
     * The compute dtype for an input (upstream {@code set_compute_type}, run once): the one set; unset, the first
     * F32 or BF16 input sets it to its dtype, while an F16 input computes in F16 (with upstream's warning, once).
     */
    private DType computeFor(Tensor input) {
        DType t = input.dtype();
        if (computeDtype == null && t != DType.F16) {
            computeDtype = t;
        }
        if (t == DType.F16 && computeDtype != DType.F16 && !F16_WARNED.getAndSet(true)) {
            LOG.warn("Input type into Linear4bit is F16, but computeDtype is {}. This will lead to slow inference{}",
                    computeDtype == null ? "unset (F32 by default upstream)" : computeDtype,
                    input.numel() == input.size(input.rank() - 1) ? "." : " or training speed.");
        }
        return computeDtype == null ? t : computeDtype;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        Tensor x = requireSaved(savedInput);
        long m = LinearMath.gradRows(this, gradOutput, x, outFeatures);
        Tensor g = null;
        Tensor gb = null;
        Tensor gradIn = null;
        try {
            g = Casts.to(gradOutput, savedCompute);
            gradIn = Casts.replace(FourBit.matmul4bitBackward(g, weight.packed(), weight.state()), x.dtype());
            if (bias != null && bias.requiresGrad()) {
                gb = Casts.to(gradOutput, bias.value().dtype());
                LinearMath.accumulateBias(bias, LinearMath.matrix(gb, m, outFeatures));
            }
        } catch (RuntimeException e) {
            NnTensors.closeAll(gradIn);
            throw e;
        } finally {
            Casts.release(g, gradOutput);
            Casts.release(gb, gradOutput);
        }
        savedInput = null;
        return gradIn;
    }

    /** The 4-bit weight. */
    public Params4bit weight() {
        return weight;
    }

    /** The bias b [N], or null for a layer without one. */
    public ParameterSlot bias() {
        return bias;
    }

    /** The quant type of the layer (NF4 or FP4). */
    public QuantType quantType() {
        return options.quantType();
    }

    /** The compute dtype, when set by the builder or by the first F32/BF16 input (upstream {@code compute_dtype}). */
    public Optional<DType> computeDtype() {
        return Optional.ofNullable(computeDtype);
    }

    /** The options a dense weight is quantized with (quant type, blocksize, nesting). */
    public FourBitOptions options() {
        return options;
    }

    @Override
    public long inFeatures() {
        return inFeatures;
    }

    @Override
    public long outFeatures() {
        return outFeatures;
    }

    /** The dtype of the bias: the compute dtype, or F32 when none is set. */
    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public Device device() {
        return weight.device();
    }

    @Override
    void addOwnState(String prefix, Map<String, Tensor> out) {
        out.put(prefix + "weight", weight.packedView());
        super.addOwnState(prefix, out);
        out.putAll(weight.quantStateDict(prefix + "weight."));
    }

    @Override
    Staged stageLoad(StateEntries entries) {
        Staged biasLoad = super.stageLoad(entries); // only the bias is a registered parameter
        Params4bit loaded = FourBitWeights.load(entries, outFeatures, inFeatures, options, device());
        return Staged.of(() -> {
            Params4bit old = weight;
            weight = loaded;
            old.close();
            biasLoad.commit();
        }, loaded::close);
    }

    @Override
    Staged stageMove(Device device) {
        Staged biasMove = super.stageMove(device);
        Params4bit moved;
        try {
            moved = weight.device().equals(device) ? weight : weight.to(device);
        } catch (RuntimeException e) {
            biasMove.discard();
            throw e;
        }
        return Staged.of(() -> {
            biasMove.commit();
            if (moved != weight) {
                Params4bit old = weight;
                weight = moved;
                old.close();
            }
        }, () -> {
            biasMove.discard();
            if (moved != weight) {
                moved.close();
            }
        });
    }

    @Override
    void releaseSaved() {
        savedInput = null;
    }

    @Override
    void closeOwned() {
        weight.close();
    }

    /**
     * Options of a {@link Linear4bit} (or {@link LinearNF4} / {@link LinearFP4}), upstream's defaults unless set.
     * {@code quant_storage} is U8 only.
     *
     * @param <L> the layer built
     */
    public static final class Builder<L extends Linear4bit> {
        private final long inFeatures;
        private final long outFeatures;
        private final QuantType fixedType;
        private final Function<Builder<L>, L> factory;
        private boolean bias = true;
        private DType computeDtype;
        private boolean compressStatistics = true;
        private QuantType quantType;
        private Blocksize blocksize = Blocksize.B64;
        private Device device = Device.cpu();
        private Long seed;
        private boolean zeroInit;

        Builder(long inFeatures, long outFeatures, QuantType fixedType, Function<Builder<L>, L> factory) {
            this.inFeatures = LinearMath.requireFeatures(inFeatures, "inFeatures");
            this.outFeatures = LinearMath.requireFeatures(outFeatures, "outFeatures");
            this.fixedType = fixedType;
            this.quantType = fixedType == null ? QuantType.FP4 : fixedType;
            this.factory = factory;
        }

        /** Whether the layer has a bias (default true). @return this builder */
        public Builder<L> bias(boolean value) {
            this.bias = value;
            return this;
        }

        /**
         * The compute dtype, also the dtype of the bias and the initial dense weight (default: unset; see the class
         * comment).
         *
         * @return this builder
         * @throws IllegalArgumentException unless F32, F16 or BF16
         */
        public Builder<L> computeDtype(DType value) {
            this.computeDtype = LinearMath.requireFloat(value, "computeDtype");
            return this;
        }

        /** Double-quantize the absmax scales (default true). @return this builder */
        public Builder<L> compressStatistics(boolean value) {
            this.compressStatistics = value;
            return this;
        }

        /**
         * NF4 or FP4 (default FP4, as upstream's {@code Linear4bit}).
         *
         * @return this builder
         * @throws IllegalArgumentException for {@link LinearNF4} / {@link LinearFP4}, whose type is fixed, when
         *                                  {@code value} is the other one
         */
        public Builder<L> quantType(QuantType value) {
            Objects.requireNonNull(value, "quantType");
            if (fixedType != null && value != fixedType) {
                throw new IllegalArgumentException("quantType of this layer is fixed to " + fixedType + ", got "
                        + value);
            }
            this.quantType = value;
            return this;
        }

        /**
         * Values per absmax block (default 64).
         *
         * @return this builder
         * @throws IllegalArgumentException unless one of 32, 64, ..., 4096
         */
        public Builder<L> blocksize(int value) {
            this.blocksize = Blocksize.of(value);
            return this;
        }

        /** Where the layer's tensors live (default the CPU). @return this builder */
        public Builder<L> device(Device value) {
            this.device = Objects.requireNonNull(value, "device");
            return this;
        }

        /** Seeds the initialisation (default: unseeded). @return this builder */
        public Builder<L> seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * Starts the weight (and bias) at zero, made on the device, instead of PyTorch's random initialisation: for
         * a layer whose state is loaded next (transformers' {@code init_empty_weights}), so a large model does not
         * draw billions of host random numbers it overwrites. Default false.
         *
         * @return this builder
         */
        public Builder<L> zeroInit(boolean value) {
            this.zeroInit = value;
            return this;
        }

        /** The layer, its initial weight quantized. */
        public L build() {
            return factory.apply(this);
        }
    }
}
