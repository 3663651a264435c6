package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link LAMB} with 32-bit state for every tensor. The update rule, its arguments and its defaults are {@link LAMB}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code LAMB32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class LAMB32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LambBuilder<LAMB32bit> builder() {
        return new LambBuilder<>(LAMB32bit.class, Variant.THIRTY_TWO_BIT, Defaults.LAMB, LAMB32bit::new);
    }

    /**
     * LAMB32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LAMB32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private LAMB32bit(LambBuilder<LAMB32bit> builder) {
        super(OptimizerKind.LAMB, builder.setup());
    }
}
