package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdamW} with 32-bit state for every tensor. The update rule, its arguments and its defaults are
 * {@link AdamW}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code AdamW32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class AdamW32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<AdamW32bit> builder() {
        return new AdamBuilder<>(AdamW32bit.class, Variant.THIRTY_TWO_BIT, Defaults.ADAMW, AdamW32bit::new);
    }

    /**
     * AdamW32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public AdamW32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private AdamW32bit(AdamBuilder<AdamW32bit> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
