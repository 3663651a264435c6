package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * What a layer keeps between LLM.int8() products (upstream {@code MatmulLtState}): the weight quantized once, the
 * outlier threshold, and whether the layer also keeps a 16-bit weight that training updates (upstream
 * {@code has_fp16_weights}). Two kinds:
 * <ul>
 *   <li>{@link Frozen}: the int8 weight only (inference, {@code load_in_8bit}); gradients flow to the input;
 *   <li>{@link Fp16Weights}: a float weight (F16, BF16 or F32, whatever upstream's name says) and its int8 copy,
 *       refreshed by {@link Fp16Weights#requantize()} after the weight changes; gradients flow to the input and
 *       to the weight.
 * </ul>
 * A state owns its int8 weight: {@link #close()} releases it (never the caller's 16-bit weight).
 */
public sealed interface MatmulLtState extends AutoCloseable permits MatmulLtState.Frozen, MatmulLtState.Fp16Weights {
    /** The int8 weight the forward product uses. */
    Int8Weight weight();

    /** 0 for the plain int8 product, else the magnitude from which an input column is multiplied in 16-bit. */
    float threshold();

    /** Whether the layer keeps a trainable 16-bit weight (upstream {@code has_fp16_weights}). */
    boolean hasFp16Weights();

    /** Releases the int8 weight (never the caller's 16-bit weight); closing twice is harmless. */
    @Override
    void close();

    /**
     * An inference state over an int8 weight, which the state then owns.
     *
     * @throws NullPointerException     if {@code weight} is null
     * @throws IllegalArgumentException if {@code threshold} is NaN, infinite or negative
     */
    static Frozen frozen(Int8Weight weight, float threshold) {
        return new Frozen(weight, threshold);
    }

    /**
     * A training state: quantizes {@code weight} once (threshold 0, per output row). The caller keeps owning
     * {@code weight} and calls {@link Fp16Weights#requantize()} after changing it.
     *
     * @param weight F32, F16 or BF16 [N, K]
     * @throws NullPointerException          if {@code weight} is null
     * @throws IllegalArgumentException      if {@code threshold} is NaN, infinite or negative, or weight is not a
     *                                       matrix
     * @throws UnsupportedOperationException if weight's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if weight is closed
     */
    static Fp16Weights withFp16Weights(Tensor weight, float threshold) {
        Int8Checks.requireThreshold(threshold);
        Int8Weight q = Int8Weight.quantize(weight);
        try {
            return new Fp16Weights(weight, q, threshold);
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    /**
     * The int8 weight alone.
     *
     * @param weight    the int8 weight, owned by this state
     * @param threshold finite and &gt;= 0
     */
    record Frozen(Int8Weight weight, float threshold) implements MatmulLtState {
        /**
         * @throws NullPointerException     if {@code weight} is null
         * @throws IllegalArgumentException if {@code threshold} is NaN, infinite or negative
         */
        public Frozen {
            Objects.requireNonNull(weight, "weight");
            Int8Checks.requireThreshold(threshold);
        }

        @Override
        public boolean hasFp16Weights() {
            return false;
        }

        @Override
        public void close() {
            weight.close();
        }
    }

    /**
     * A trainable float weight and its int8 copy.
     *
     * @param weight16  F32, F16 or BF16 [N, K], owned by the caller
     * @param weight    its int8 copy [N, K] on the same device, owned by this state
     * @param threshold finite and &gt;= 0
     */
    record Fp16Weights(Tensor weight16, Int8Weight weight, float threshold) implements MatmulLtState {
        /**
         * @throws NullPointerException          if an argument is null
         * @throws IllegalArgumentException      if {@code threshold} is NaN, infinite or negative, or the weights
         *                                       differ in shape or device
         * @throws UnsupportedOperationException if weight16's dtype is not F32, F16 or BF16
         */
        public Fp16Weights {
            Int8Weight.requireFloatWeight(weight16);
            Objects.requireNonNull(weight, "weight");
            Int8Checks.requireThreshold(threshold);
            if (!Arrays.equals(weight16.shape(), weight.cb().shape()) || !weight16.device().equals(weight.device())) {
                throw new IllegalArgumentException("weight16 " + weight16 + " and the int8 weight " + weight.cb()
                        + " must have one shape and device");
            }
        }

        @Override
        public boolean hasFp16Weights() {
            return true;
        }

        /**
         * Quantizes the current {@link #weight16} into {@link #weight} (after an optimizer step changed it), in
         * place; allocates nothing.
         *
         * @throws IllegalStateException if a tensor is closed
         */
        public void requantize() {
            weight.quantizeFrom(weight16);
        }

        @Override
        public void close() {
            weight.close();
        }
    }
}
