package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link RMSprop} with 32-bit state for every tensor. The update rule, its arguments and its defaults are
 * {@link RMSprop}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code RMSprop32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class RMSprop32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static RMSpropBuilder<RMSprop32bit> builder() {
        return new RMSpropBuilder<>(RMSprop32bit.class, Variant.THIRTY_TWO_BIT, Defaults.RMSPROP, RMSprop32bit::new);
    }

    /**
     * RMSprop32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public RMSprop32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private RMSprop32bit(RMSpropBuilder<RMSprop32bit> builder) {
        super(OptimizerKind.RMSPROP, builder.setup());
    }
}
