package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link LARS} with 32-bit state for every tensor. The update rule, its arguments and its defaults are {@link LARS}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code LARS32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class LARS32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<LARS32bit> builder() {
        return new MomentumBuilder<>(LARS32bit.class, Variant.THIRTY_TWO_BIT, Defaults.LARS, LARS32bit::new);
    }

    /**
     * LARS32bit over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LARS32bit(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private LARS32bit(MomentumBuilder<LARS32bit> builder) {
        super(OptimizerKind.LARS, builder.setup());
    }
}
