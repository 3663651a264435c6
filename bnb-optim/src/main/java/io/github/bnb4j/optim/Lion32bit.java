package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Lion} with 32-bit state for every tensor. The update rule, its arguments and its defaults are {@link Lion}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code Lion32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class Lion32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<Lion32bit> builder() {
        return new LionBuilder<>(Lion32bit.class, Variant.THIRTY_TWO_BIT, Defaults.LION, Lion32bit::new);
    }

    /**
     * Lion32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Lion32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Lion32bit(LionBuilder<Lion32bit> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
