package io.github.bnb4j.nn;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Gemm;
import io.github.bnb4j.core.functional.nn.Dropout;
import io.github.bnb4j.core.functional.nn.DropoutMask;
import io.github.bnb4j.core.functional.nn.Elementwise;

/**
 * A LoRA adapter on a frozen linear layer (PEFT's {@code lora.Linear}; with a {@link Linear4bit} base, the QLoRA
 * recipe): the base layer ({@link Linear}, {@link Linear8bitLt} or {@link Linear4bit}) is registered as the child
 * {@code base_layer} and frozen, and two trainable matrices A [r, K] and B [N, r] add a low-rank update:
 * <pre>
 *   forward:   y = base(x) + s · (drop(x) · Aᵀ) · Bᵀ             s = alpha / r,  h = drop(x) · Aᵀ [M, r]
 *   backward:  dh = s · dy · B
 *              grad(B) += s · dyᵀ · h,   grad(A) += dhᵀ · drop(x)
 *              dx = base.backward(dy) + drop'(dh · A)                    (drop': the forward's mask again)
 * </pre>
 * A starts as PEFT's {@code kaiming_uniform_(a = sqrt(5))} ({@code U(-1/sqrt(K), 1/sqrt(K))}) and B as zeros, so
 * the adapter starts as the identity of the base. A and B have the base's {@link LinearLayer#dtype()}, which the
 * input must have. State-dict keys are PEFT's: {@code base_layer.*}, {@code lora_A.weight}, {@code lora_B.weight}.
 *
 * <p><b>Dropout.</b> {@code dropout} is the probability of zeroing an element of the adapter's input (PEFT's
 * {@code lora_dropout}, default 0), scaling the others by {@code 1 / (1 - dropout)}; the identity in eval mode. In
 * training each forward draws a fresh Philox mask ({@code DropoutMask}, from the builder's seed when set) and keeps
 * the dropped input drop(x) [M, K] for backward, where the adapter's input gradient goes back through the same
 * mask. The base layer sees x itself.
 */
public final class LoraLinear extends Module {
    private final Module base;
    private final LinearLayer layer;
    private final int rank;
    private final float alpha;
    private final float scaling;
    private final float dropout;
    private final ParameterSlot loraA;
    private final ParameterSlot loraB;
    private Tensor savedInput;
    private Tensor savedHidden;
    private Tensor savedDropped;
    private DropoutMask savedMask;
    private DropoutMask nextMask;
    private boolean merged;

    private LoraLinear(Builder b) {
        this.layer = b.base;
        this.rank = b.rank;
        this.alpha = b.alpha;
        this.scaling = b.alpha / b.rank;
        this.dropout = b.dropout;
        this.base = registerModule("base_layer", layer.module());
        base.requiresGrad(false);
        DType t = layer.dtype();
        var rng = Init.generator(b.seed);
        Parameter a = Init.kaimingParameter("lora_A.weight", rng, layer.inFeatures(), t, layer.device(), rank,
                layer.inFeatures());
        Parameter zeros;
        try {
            zeros = new Parameter("lora_B.weight", Tensor.zeros(t, layer.device(), layer.outFeatures(), rank));
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        this.loraA = registerParameter("lora_A.weight", a);
        this.loraB = registerParameter("lora_B.weight", zeros);
        this.nextMask = new DropoutMask(b.dropout, rng.nextLong(), 0);
    }

    /**
     * A builder over {@code base} with PEFT's defaults: rank 8, alpha 8, dropout 0.
     *
     * @param base a layer without a parent; the adapter owns it from {@link Builder#build()} on
     * @throws NullPointerException if {@code base} is null
     */
    public static Builder builder(LinearLayer base) {
        return new Builder(base);
    }

    /**
     * Forward: {@code base(x) + s · (x · Aᵀ) · Bᵀ}; see the class comment.
     *
     * @param input the base's dtype, [..., K], on its device
     * @return [..., N] of the input's dtype
     * @throws IllegalArgumentException if the input does not fit the base
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        long m = LinearMath.rows(this, "input", input, layer.dtype(), layer.device(), layer.inFeatures());
        releaseSaved();
        Tensor out = base.forward(input);
        if (merged) {
            return out;
        }
        Tensor hidden = null;
        Tensor dropped = null;
        DropoutMask mask = null;
        try {
            Tensor x2d = LinearMath.matrix(input, m, layer.inFeatures());
            if (isTraining() && dropout > 0) {
                mask = nextMask;
                dropped = Dropout.forward(x2d, mask);
                nextMask = mask.next(x2d.numel());
            }
            Tensor adapterInput = dropped == null ? x2d : dropped;
            hidden = Gemm.matmul(MatrixOperand.of(adapterInput), MatrixOperand.transposed(loraA.value()));
            if (m > 0) {
                Gemm.gemmInto(MatrixOperand.of(hidden), MatrixOperand.transposed(loraB.value()), scaling, 1f,
                        LinearMath.matrix(out, m, layer.outFeatures()));
            }
        } catch (RuntimeException e) {
            NnTensors.closeAll(out, hidden, dropped);
            throw e;
        }
        if (isTraining()) {
            savedInput = input;
            savedHidden = hidden;
            savedDropped = dropped;
            savedMask = mask;
        } else {
            hidden.close();
        }
        return out;
    }

    @Override
    protected Tensor backwardImpl(Tensor gradOutput) {
        if (merged) {
            return base.backward(gradOutput);
        }
        Tensor x = requireSaved(savedInput);
        long m = LinearMath.gradRows(this, gradOutput, x, layer.outFeatures());
        Tensor gradIn = base.backward(gradOutput);
        try {
            if (m > 0) {
                Tensor g = LinearMath.matrix(gradOutput, m, layer.outFeatures());
                Tensor x2d = LinearMath.matrix(x, m, layer.inFeatures());
                Tensor gradIn2d = LinearMath.matrix(gradIn, m, layer.inFeatures());
                try (Tensor dh = Tensor.empty(g.dtype(), g.device(), m, rank)) {
                    Gemm.gemmInto(MatrixOperand.of(g), MatrixOperand.of(loraB.value()), scaling, 0f, dh);
                    LinearMath.accumulateWeight(loraB, g, savedHidden, scaling);
                    LinearMath.accumulateWeight(loraA, dh, savedDropped == null ? x2d : savedDropped, 1f);
                    if (savedMask == null) {
                        Gemm.gemmInto(MatrixOperand.of(dh), MatrixOperand.of(loraA.value()), 1f, 1f, gradIn2d);
                    } else { // dx += drop'(dh · A): the adapter's path through the forward's mask
                        try (Tensor dDropped = Gemm.matmul(MatrixOperand.of(dh), MatrixOperand.of(loraA.value()));
                                Tensor dx = Dropout.backward(dDropped, savedMask)) {
                            Elementwise.addInPlace(gradIn2d, dx, 1f);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            gradIn.close();
            throw e;
        }
        releaseSaved();
        return gradIn;
    }

    /**
     * Folds the adapter into a dense base, {@code W += s · B · A}, after which forward and backward are the base's
     * alone (A and B get no more gradient). Merging twice does nothing.
     *
     * @throws UnsupportedOperationException if the base is quantized: adding B · A to a 4-bit or int8 weight
     *                                       means dequantizing and quantizing again, which loses the adapter in the
     *                                       rounding (keep the adapter, or merge into a dense copy of the weights)
     * @throws IllegalStateException         if the module is closed
     */
    public void merge() {
        requireOpen();
        if (!(layer instanceof Linear dense)) {
            throw new UnsupportedOperationException(describe() + ": merge needs a dense Linear base, got "
                    + base.getClass().getSimpleName() + ": adding B·A to its quantized weight would re-quantize it"
                    + " and lose the adapter in the rounding");
        }
        if (merged) {
            return;
        }
        releaseSaved();
        Gemm.gemmInto(MatrixOperand.of(loraB.value()), MatrixOperand.of(loraA.value()), scaling, 1f,
                dense.weight().value());
        merged = true;
    }

    /** Whether {@link #merge()} ran. */
    public boolean isMerged() {
        return merged;
    }

    /** The wrapped layer. */
    public LinearLayer base() {
        return layer;
    }

    /** A [r, K]. */
    public ParameterSlot loraA() {
        return loraA;
    }

    /** B [N, r]. */
    public ParameterSlot loraB() {
        return loraB;
    }

    /** r. */
    public int rank() {
        return rank;
    }

    /** alpha. */
    public float alpha() {
        return alpha;
    }

    /** alpha / r. */
    public float scaling() {
        return scaling;
    }

    /** The mask the next training forward draws (its offset advances by each forward's input). */
    public DropoutMask nextDropoutMask() {
        return nextMask;
    }

    /** The dropout probability of the adapter's input. */
    public float dropout() {
        return dropout;
    }

    @Override
    void releaseSaved() {
        savedInput = null;
        savedMask = null;
        NnTensors.closeAll(savedHidden, savedDropped);
        savedHidden = null;
        savedDropped = null;
    }

    /** Options of a {@link LoraLinear}: PEFT's defaults unless set. */
    public static final class Builder {
        private final LinearLayer base;
        private int rank = 8;
        private float alpha = 8;
        private float dropout;
        private Long seed;

        private Builder(LinearLayer base) {
            this.base = Objects.requireNonNull(base, "base");
        }

        /**
         * r, the rank of the update (default 8).
         *
         * @return this builder
         * @throws IllegalArgumentException if below 1
         */
        public Builder rank(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("rank must be >= 1, got " + value);
            }
            this.rank = value;
            return this;
        }

        /**
         * alpha: the update is scaled by alpha / r (default 8).
         *
         * @return this builder
         * @throws IllegalArgumentException if NaN or infinite
         */
        public Builder alpha(float value) {
            if (!Float.isFinite(value)) {
                throw new IllegalArgumentException("alpha must be finite, got " + value);
            }
            this.alpha = value;
            return this;
        }

        /**
         * The probability of zeroing an input element of the adapter in training (default 0).
         *
         * @return this builder
         * @throws IllegalArgumentException unless in [0, 1)
         */
        public Builder dropout(float value) {
            if (!(value >= 0 && value < 1)) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + value);
            }
            this.dropout = value;
            return this;
        }

        /** Seeds A's initialisation and the dropout masks (default: unseeded). @return this builder */
        public Builder seed(long value) {
            this.seed = value;
            return this;
        }

        /**
         * The adapter; it owns the base from now on and freezes it.
         *
         * @throws IllegalArgumentException if the base already has a parent
         * @throws IllegalStateException    if the base is closed
         */
        public LoraLinear build() {
            base.module().requireOpen();
            return new LoraLinear(this);
        }
    }
}
