package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.QuantType;

/**
 * {@link Linear4bit} with the quant type fixed to FP4 (upstream {@code LinearFP4}: the same arguments minus
 * {@code quant_type}).
 */
public final class LinearFP4 extends Linear4bit {
    /**
     * {@code LinearFP4(inFeatures, outFeatures)} with upstream's defaults (nested absmax, blocksize 64, bias) on the
     * CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public LinearFP4(long inFeatures, long outFeatures) {
        this(builder(inFeatures, outFeatures));
    }

    private LinearFP4(Builder<LinearFP4> b) {
        super(b);
    }

    /**
     * A builder with upstream's defaults; {@link Builder#quantType} accepts FP4 only.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public static Builder<LinearFP4> builder(long inFeatures, long outFeatures) {
        return new Builder<>(inFeatures, outFeatures, QuantType.FP4, LinearFP4::new);
    }
}
