package io.github.bnb4j.nn;

import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.Int8Matmul;
import io.github.bnb4j.core.functional.Int8StateDict;
import io.github.bnb4j.core.functional.Int8Workspace;

/**
 * The LLM.int8() layer (upstream {@code Linear8bitLt(input_features, output_features, bias=True,
 * has_fp16_weights=True, threshold=0.0, index=None, device=None)}) over an {@link Int8Params} weight:
 * <pre>
 *   forward:   y [..., N] = int8(x) · CBᵀ, dequantized with SCA · SCB / 127², + b
 *                         + x[:, outliers] · dequant(CB[:, outliers])ᵀ          (columns with |x| ≥ threshold &gt; 0)
 *   backward:  dx = dy · (CB · SCB / 127)
 *              grad(W) += dyᵀ · x          (hasFp16Weights only: the 16-bit weight trains; upstream MatMul8bitFp)
 *              grad(b) += Σ_rows dy
 * </pre>
 * (Int8Matmul, spec 3.12). With {@code hasFp16Weights} the 16-bit weight is a parameter and its int8 copy is
 * quantized again before every product (as upstream re-quantizes when {@code has_fp16_weights}); without it the
 * weight is int8 only and frozen. Inputs, bias and 16-bit weight share the layer's dtype (default F16, the dtype
 * upstream's int8 path casts to; F32 and BF16 work too). With a threshold the host reads the outlier count once per
 * product.
 *
 * <p><b>State dict</b>: {@code weight} (the 16-bit weight, or the I8 codes CB when frozen), {@code bias}, and when
 * frozen {@code SCB} (F32 [N]) and {@code weight_format} (U8 0: row-major), as upstream writes them. Loading takes
 * the same, or a dense {@code weight} for a frozen layer, which it quantizes; int8 entries cannot load into a layer
 * with 16-bit weights.
 */
public final class Linear8bitLt extends Module implements LinearLayer {
    private final long inFeatures;
    private final long outFeatures;
    private final DType dtype;
    private final float threshold;
    private final ParameterSlot weight16;
    private final ParameterSlot bias;
    private Int8Params weight;
    private Int8Workspace workspace;
    private Tensor savedInput;

    /**
     * {@code Linear8bitLt(inFeatures, outFeatures)} with upstream's defaults (bias, 16-bit weights, threshold 0), F16
     * on the CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public Linear8bitLt(long inFeatures, long outFeatures) {
        this(builder(inFeatures, outFeatures));
    }

    private Linear8bitLt(Builder b) {
        this.inFeatures = b.inFeatures;
        this.outFeatures = b.outFeatures;
        this.dtype = b.dtype;
        this.threshold = b.threshold;
        var rng = Init.generator(b.seed);
        Tensor dense = Init.initial(b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures, inFeatures);
        if (b.hasFp16Weights) {
            this.weight16 = registerParameter("weight", new Parameter("weight", dense));
            this.weight = Int8Params.withFp16Weights(dense, threshold);
        } else {
            this.weight16 = null;
            try (dense) {
                this.weight = Int8Params.quantize(dense, threshold);
            }
        }
        try {
            this.bias = b.bias
                    ? registerParameter("bias",
                            Init.initialParameter("bias", b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures))
                    : null;
        } catch (RuntimeException e) {
            weight.close();
            if (weight16 != null) {
                weight16.parameter().close();
            }
            throw e;
        }
        this.workspace = new Int8Workspace(b.device);
    }

    /**
     * A builder with upstream's defaults: bias, hasFp16Weights, threshold 0; F16 on the CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public static Builder builder(long inFeatures, long outFeatures) {
        return new Builder(inFeatures, outFeatures);
    }

    /**
     * Forward: the LLM.int8() product; see the class comment.
     *
     * @param input the layer's dtype, [..., K], on its device
     * @return [..., N] of the layer's dtype
     * @throws IllegalArgumentException if the input's dtype, last dimension or device is not the layer's
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        Int8Params w = weight;
        LinearMath.rows(this, "input", input, dtype, w.device(), inFeatures);
        w.requantize();
        Tensor out = Tensor.empty(dtype, input.device(), LinearMath.withLast(input.shape(), outFeatures));
        try {
            if (bias == null) {
                Int8Matmul.matmulInto(input, w.state(), out, workspace);
            } else {
                Int8Matmul.matmulInto(input, w.state(), bias.value(), out, workspace);
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        savedInput = isTraining() ? input : null;
        return out;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        Tensor x = requireSaved(savedInput);
        long m = LinearMath.gradRows(this, gradOutput, x, outFeatures);
        Tensor gradIn = Int8Matmul.inputGradient(gradOutput, weight.state());
        try {
            Tensor g = LinearMath.matrix(gradOutput, m, outFeatures);
            if (weight16 != null) {
                LinearMath.accumulateWeight(weight16, g, LinearMath.matrix(x, m, inFeatures), 1f);
            }
            LinearMath.accumulateBias(bias, g);
        } catch (RuntimeException e) {
            gradIn.close();
            throw e;
        }
        savedInput = null;
        return gradIn;
    }

    /** The int8 weight (with its 16-bit weight when {@link #hasFp16Weights()}). */
    public Int8Params weight() {
        return weight;
    }

    /** The trainable 16-bit weight W [N, K], or null for a frozen int8 layer. */
    public ParameterSlot weight16() {
        return weight16;
    }

    /** The bias b [N], or null for a layer without one. */
    public ParameterSlot bias() {
        return bias;
    }

    /** Whether the layer keeps a trainable 16-bit weight (upstream {@code has_fp16_weights}). */
    public boolean hasFp16Weights() {
        return weight16 != null;
    }

    /** The outlier threshold (0: the plain int8 product). */
    public float threshold() {
        return threshold;
    }

    @Override
    public long inFeatures() {
        return inFeatures;
    }

    @Override
    public long outFeatures() {
        return outFeatures;
    }

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
        if (weight16 != null) {
            super.addOwnState(prefix, out);
            return;
        }
        Map<String, Tensor> int8 = weight.stateDict(prefix);
        out.put(prefix + Int8StateDict.WEIGHT, int8.remove(prefix + Int8StateDict.WEIGHT));
        super.addOwnState(prefix, out);
        out.putAll(int8);
    }

    @Override
    Staged stageLoad(StateEntries entries) {
        if (weight16 != null) {
            if (entries.has(Int8StateDict.SCB)) {
                throw entries.error(Int8StateDict.SCB, "belongs to an int8 checkpoint, which cannot load into a"
                        + " Linear8bitLt with hasFp16Weights (its 16-bit weight is not in the checkpoint); build the"
                        + " layer with hasFp16Weights(false)");
            }
            return super.stageLoad(entries);
        }
        Staged biasLoad = super.stageLoad(entries);
        Int8Params loaded = Int8Weights.load(entries, outFeatures, inFeatures, threshold, device());
        return Staged.of(() -> {
            Int8Params old = weight;
            weight = loaded;
            old.close();
            biasLoad.commit();
        }, loaded::close);
    }

    @Override
    Staged stageMove(Device device) {
        if (device.equals(device())) {
            return Staged.NOTHING;
        }
        Staged biasMove = bias == null ? Staged.NOTHING : stageSlotMoves(java.util.List.of(bias), device);
        Tensor moved16 = null;
        Int8Params moved = null;
        try {
            if (weight16 != null) {
                moved16 = TensorScope.detach(weight16.value().to(device));
                moved = Int8Params.withFp16Weights(moved16, threshold);
            } else {
                moved = weight.frozenTo(device);
            }
        } catch (RuntimeException e) {
            biasMove.discard();
            if (moved16 != null) {
                moved16.close();
            }
            throw e;
        }
        Tensor new16 = moved16;
        Int8Params newWeight = moved;
        return Staged.of(() -> {
            biasMove.commit();
            if (new16 != null) {
                weight16.replace(new Parameter(weight16.parameter().name(), new16));
            }
            Int8Params old = weight;
            weight = newWeight;
            old.close();
            workspace.close();
            workspace = new Int8Workspace(device);
        }, () -> {
            biasMove.discard();
            newWeight.close();
            if (new16 != null) {
                new16.close();
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
        workspace.close();
    }

    /** Options of a {@link Linear8bitLt}, upstream's defaults unless set. */
    public static final class Builder {
        private final long inFeatures;
        private final long outFeatures;
        private boolean bias = true;
        private boolean hasFp16Weights = true;
        private float threshold;
        private DType dtype = DType.F16;
        private Device device = Device.cpu();
        private Long seed;
        private boolean zeroInit;

        private Builder(long inFeatures, long outFeatures) {
            this.inFeatures = LinearMath.requireFeatures(inFeatures, "inFeatures");
            this.outFeatures = LinearMath.requireFeatures(outFeatures, "outFeatures");
        }

        /** Whether the layer has a bias (default true). @return this builder */
        public Builder bias(boolean value) {
            this.bias = value;
            return this;
        }

        /** Keep a trainable 16-bit weight (default true, as upstream). @return this builder */
        public Builder hasFp16Weights(boolean value) {
            this.hasFp16Weights = value;
            return this;
        }

        /**
         * The outlier threshold (default 0; LLM.int8() inference uses 6).
         *
         * @return this builder
         * @throws IllegalArgumentException if NaN, infinite or negative
         */
        public Builder threshold(float value) {
            if (!Float.isFinite(value) || value < 0) {
                throw new IllegalArgumentException("threshold must be finite and >= 0, got " + value);
            }
            this.threshold = value;
            return this;
        }

        /**
         * The dtype of inputs, bias and 16-bit weight (default F16).
         *
         * @return this builder
         * @throws IllegalArgumentException unless F32, F16 or BF16
         */
        public Builder dtype(DType value) {
            this.dtype = LinearMath.requireFloat(value, "dtype");
            return this;
        }

        /** Where the layer's tensors live (default the CPU). @return this builder */
        public Builder device(Device value) {
            this.device = Objects.requireNonNull(value, "device");
            return this;
        }

        /** Seeds the initialisation (default: unseeded). @return this builder */
        public Builder seed(long value) {
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
        public Builder zeroInit(boolean value) {
            this.zeroInit = value;
            return this;
        }

        /** The layer, its weight quantized. */
        public Linear8bitLt build() {
            return new Linear8bitLt(this);
        }
    }
}
