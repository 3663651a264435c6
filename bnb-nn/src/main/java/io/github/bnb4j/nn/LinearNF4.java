package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.QuantType;

/**
 * {@link Linear4bit} with the quant type fixed to NF4 (upstream {@code LinearNF4}: the same arguments minus
 * {@code quant_type}).
 */
public final class LinearNF4 extends Linear4bit {
    /**
     * {@code LinearNF4(inFeatures, outFeatures)} with upstream's defaults (nested absmax, blocksize 64, bias) on the
     * CPU.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public LinearNF4(long inFeatures, long outFeatures) {
        this(builder(inFeatures, outFeatures));
    }

    private LinearNF4(Builder<LinearNF4> b) {
        super(b);
    }

    /**
     * A builder with upstream's defaults; {@link Builder#quantType} accepts NF4 only.
     *
     * @throws IllegalArgumentException if a feature count is below 1
     */
    public static Builder<LinearNF4> builder(long inFeatures, long outFeatures) {
        return new Builder<>(inFeatures, outFeatures, QuantType.NF4, LinearNF4::new);
    }
}
