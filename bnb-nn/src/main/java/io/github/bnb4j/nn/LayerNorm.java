package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.LayerNormOutput;
import io.github.bnb4j.core.functional.nn.LayerNorms;

/**
 * Layer normalization over the last dimension ({@code torch.nn.LayerNorm(normalized_shape, eps=1e-5,
 * elementwise_affine=True, bias=True, device=None, dtype=None)} with a one-dimensional {@code normalized_shape}),
 * biased variance as torch:
 * <pre>
 *   forward:   y = (x - mean) · rstd · weight + bias         rstd = 1 / sqrt(var + eps), per row of x [..., N]
 *   backward:  dx = rstd · (g - mean(g) - xhat · mean(g · xhat)),  g = dy · weight,  xhat = (x - mean) · rstd
 *              grad(weight) += Σ_rows dy · xhat,   grad(bias) += Σ_rows dy
 * </pre>
 * (LayerNorms: f32 statistics, one rounding per output.) x, weight, bias and every gradient share the layer's
 * dtype. weight starts as ones and bias as zeros; without {@code elementwiseAffine} there are neither, and without
 * {@code bias} no bias. In training mode the forward keeps the row statistics (8 bytes per row) for backward.
 * State dict: {@code weight} [N], {@code bias} [N] (when present).
 */
public final class LayerNorm extends Module {
    private final long normalizedShape;
    private final float eps;
    private final DType dtype;
    private final ParameterSlot weight;
    private final ParameterSlot bias;
    private Device device;
    private Tensor savedInput;
    private LayerNormOutput savedStats;

    /**
     * {@code LayerNorm(normalizedShape)} with torch's defaults: eps 1e-5, weight and bias, F32, on the CPU.
     *
     * @throws IllegalArgumentException if {@code normalizedShape} is below 1
     */
    public LayerNorm(long normalizedShape) {
        this(builder(normalizedShape));
    }

    private LayerNorm(Builder b) {
        this.normalizedShape = b.normalizedShape;
        this.eps = b.eps;
        this.dtype = b.dtype;
        this.device = b.device;
        float[] ones = new float[Math.toIntExact(normalizedShape)];
        Arrays.fill(ones, 1f);
        this.weight = b.elementwiseAffine
                ? registerParameter("weight", new Parameter("weight",
                        Tensor.fromFloats(ones, dtype, b.device, normalizedShape)))
                : null;
        this.bias = b.elementwiseAffine && b.bias
                ? registerParameter("bias", new Parameter("bias", Tensor.zeros(dtype, b.device, normalizedShape)))
                : null;
    }

    /**
     * A builder with torch's defaults: eps 1e-5, elementwise affine with a bias, F32, CPU.
     *
     * @throws IllegalArgumentException if {@code normalizedShape} is below 1
     */
    public static Builder builder(long normalizedShape) {
        return new Builder(normalizedShape);
    }

    /**
     * Forward; see the class comment.
     *
     * @param input the layer's dtype, [..., N], on its device
     * @return a new tensor of the input's shape and dtype
     * @throws IllegalArgumentException if the input's dtype, last dimension or device is not the layer's
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        LinearMath.rows(this, "input", input, dtype, device(), normalizedShape);
        releaseSaved();
        Tensor w = weight == null ? null : weight.value();
        Tensor b = bias == null ? null : bias.value();
        if (!isTraining()) {
            return LayerNorms.normalize(input, w, b, eps);
        }
        LayerNormOutput out = LayerNorms.forward(input, w, b, eps);
        savedInput = input;
        savedStats = out;
        return out.y();
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        Tensor x = requireSaved(savedInput);
        LayerChecks.requireLike(this, "gradOutput", gradOutput, x);
        Tensor gradWeight = weight != null && weight.requiresGrad() ? weight.gradForAccumulation() : null;
        Tensor gradBias = bias != null && bias.requiresGrad() ? bias.gradForAccumulation() : null;
        Tensor gradIn = LayerNorms.backward(gradOutput, x, weight == null ? null : weight.value(), savedStats,
                gradWeight, gradBias);
        releaseSaved();
        return gradIn;
    }

    /** The weight (gamma) [N], or null without elementwise affine. */
    public ParameterSlot weight() {
        return weight;
    }

    /** The bias (beta) [N], or null. */
    public ParameterSlot bias() {
        return bias;
    }

    /** N. */
    public long normalizedShape() {
        return normalizedShape;
    }

    /** The variance's epsilon. */
    public float eps() {
        return eps;
    }

    /** The dtype of inputs and parameters. */
    public DType dtype() {
        return dtype;
    }

    /** The device of the layer's parameters (and of the inputs it takes). */
    public Device device() {
        return device;
    }

    @Override
    Staged stageMove(Device target) {
        Staged move = super.stageMove(target);
        return Staged.of(() -> {
            move.commit();
            device = target;
        }, move::discard);
    }

    @Override
    void releaseSaved() {
        savedInput = null;
        if (savedStats != null) {
            NnTensors.closeAll(savedStats.mean(), savedStats.rstd()); // y belongs to the caller
            savedStats = null;
        }
    }

    /** Options of a {@link LayerNorm}, torch's defaults unless set. */
    public static final class Builder {
        private final long normalizedShape;
        private float eps = 1e-5f;
        private boolean elementwiseAffine = true;
        private boolean bias = true;
        private DType dtype = DType.F32;
        private Device device = Device.cpu();

        private Builder(long normalizedShape) {
            this.normalizedShape = LinearMath.requireFeatures(normalizedShape, "normalizedShape");
        }

        /**
         * The epsilon added to the variance (default 1e-5).
         *
         * @return this builder
         * @throws IllegalArgumentException if negative, NaN or infinite
         */
        public Builder eps(float value) {
            if (!(value >= 0) || !Float.isFinite(value)) {
                throw new IllegalArgumentException("eps must be finite and >= 0, got " + value);
            }
            this.eps = value;
            return this;
        }

        /** Whether the layer has a weight and a bias (default true). @return this builder */
        public Builder elementwiseAffine(boolean value) {
            this.elementwiseAffine = value;
            return this;
        }

        /** Whether an elementwise-affine layer has a bias (default true). @return this builder */
        public Builder bias(boolean value) {
            this.bias = value;
            return this;
        }

        /**
         * The dtype of inputs and parameters (default F32).
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

        /** The layer. */
        public LayerNorm build() {
            return new LayerNorm(this);
        }
    }
}
