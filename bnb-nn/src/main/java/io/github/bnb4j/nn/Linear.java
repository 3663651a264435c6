package io.github.bnb4j.nn;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Gemm;

/**
 * A dense linear layer ({@code torch.nn.Linear(in_features, out_features, bias=True, device=None, dtype=None)}):
 * <pre>
 *   forward:   y [..., N] = x [..., K] · Wᵀ + b             W [N, K], b [N]
 *   backward:  dx = dy · W,   grad(W) += dyᵀ · x,   grad(b) += Σ_rows dy
 * </pre>
 * with the leading dimensions of x flattened to M rows. x, W, b and every gradient share the layer's dtype (F32,
 * F16 or BF16): products sum in f32 and round once (the {@link Gemm}). Initialised as PyTorch does: W and b from
 * {@code U(-1/sqrt(K), 1/sqrt(K))}. State dict: {@code weight} [N, K], {@code bias} [N].
 */
public final class Linear extends Module implements LinearLayer {
    private final long inFeatures;
    private final long outFeatures;
    private final DType dtype;
    private final ParameterSlot weight;
    private final ParameterSlot bias;
    private Tensor savedInput;

    /**
     * {@code Linear(inFeatures, outFeatures)} with the defaults: a bias, F32, on the CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public Linear(long inFeatures, long outFeatures) {
        this(builder(inFeatures, outFeatures));
    }

    private Linear(Builder b) {
        this.inFeatures = b.inFeatures;
        this.outFeatures = b.outFeatures;
        this.dtype = b.dtype;
        var rng = Init.generator(b.seed);
        this.weight = registerParameter("weight",
                Init.initialParameter("weight", b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures, inFeatures));
        this.bias = b.bias
                ? registerParameter("bias",
                        Init.initialParameter("bias", b.zeroInit, rng, inFeatures, dtype, b.device, outFeatures))
                : null;
    }

    /**
     * A builder with upstream's defaults: bias, F32, CPU, an unseeded generator.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public static Builder builder(long inFeatures, long outFeatures) {
        return new Builder(inFeatures, outFeatures);
    }

    /**
     * Forward: {@code x · Wᵀ + b}; see the class comment.
     *
     * @param input the layer's dtype, [..., K], on its device
     * @return [..., N] of the layer's dtype
     * @throws IllegalArgumentException if the input's dtype, last dimension or device is not the layer's
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        LinearMath.rows(this, "input", input, dtype, weight.value().device(), inFeatures);
        Tensor w = weight.value();
        Tensor out = bias == null ? Gemm.linear(input, w) : Gemm.linear(input, w, bias.value());
        savedInput = isTraining() ? input : null;
        return out;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        Tensor x = requireSaved(savedInput);
        long m = LinearMath.gradRows(this, gradOutput, x, outFeatures);
        Tensor g = LinearMath.matrix(gradOutput, m, outFeatures);
        Tensor gradIn = LinearMath.inputGrad(g, weight.value(), x.shape());
        try {
            LinearMath.accumulateWeight(weight, g, LinearMath.matrix(x, m, inFeatures), 1f);
            LinearMath.accumulateBias(bias, g);
        } catch (RuntimeException e) {
            gradIn.close();
            throw e;
        }
        savedInput = null;
        return gradIn;
    }

    /** The weight W [N, K]. */
    public ParameterSlot weight() {
        return weight;
    }

    /** The bias b [N], or null for a layer without one. */
    public ParameterSlot bias() {
        return bias;
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
        return weight.value().device();
    }

    @Override
    void releaseSaved() {
        savedInput = null;
    }

    /** Options of a {@link Linear}, upstream's defaults unless set. */
    public static final class Builder {
        private final long inFeatures;
        private final long outFeatures;
        private boolean bias = true;
        private DType dtype = DType.F32;
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

        /**
         * The dtype of W, b and the activations (default F32).
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

        /** The layer, initialised. */
        public Linear build() {
            return new Linear(this);
        }
    }
}
