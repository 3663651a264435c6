package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link SGD} with 8-bit blockwise state: tensors of at least {@code minEightBitSize} elements (default 4096) keep each
 * state as one byte per element plus one F32 absmax per block of 256, smaller ones keep 32-bit state (see
 * {@link Optimizer}, "State"). The update rule, its arguments and its defaults are {@link SGD}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code SGD8bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class SGD8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<SGD8bit> builder() {
        return new MomentumBuilder<>(SGD8bit.class, Variant.EIGHT_BIT, Defaults.SGD, SGD8bit::new);
    }

    /**
     * SGD8bit over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public SGD8bit(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private SGD8bit(MomentumBuilder<SGD8bit> builder) {
        super(OptimizerKind.SGD, builder.setup());
    }
}
