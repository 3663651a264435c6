package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link SGD} with 32-bit state for every tensor. The update rule, its arguments and its defaults are {@link SGD}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code SGD32bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class SGD32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<SGD32bit> builder() {
        return new MomentumBuilder<>(SGD32bit.class, Variant.THIRTY_TWO_BIT, Defaults.SGD, SGD32bit::new);
    }

    /**
     * SGD32bit over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public SGD32bit(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private SGD32bit(MomentumBuilder<SGD32bit> builder) {
        super(OptimizerKind.SGD, builder.setup());
    }
}
