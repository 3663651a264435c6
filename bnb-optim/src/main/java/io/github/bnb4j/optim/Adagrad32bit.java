package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Adagrad} with 32-bit state for every tensor. The update rule, its arguments and its defaults are
 * {@link Adagrad}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code Adagrad32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class Adagrad32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdagradBuilder<Adagrad32bit> builder() {
        return new AdagradBuilder<>(Adagrad32bit.class, Variant.THIRTY_TWO_BIT, Defaults.ADAGRAD, Adagrad32bit::new);
    }

    /**
     * Adagrad32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Adagrad32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Adagrad32bit(AdagradBuilder<Adagrad32bit> builder) {
        super(OptimizerKind.ADAGRAD, builder.setup());
    }
}
