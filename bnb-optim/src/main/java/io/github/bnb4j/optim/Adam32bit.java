package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Adam} with 32-bit state for every tensor. The update rule, its arguments and its defaults are {@link Adam}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code Adam32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class Adam32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<Adam32bit> builder() {
        return new AdamBuilder<>(Adam32bit.class, Variant.THIRTY_TWO_BIT, Defaults.ADAM, Adam32bit::new);
    }

    /**
     * Adam32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Adam32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Adam32bit(AdamBuilder<Adam32bit> builder) {
        super(OptimizerKind.ADAM, builder.setup());
    }
}
