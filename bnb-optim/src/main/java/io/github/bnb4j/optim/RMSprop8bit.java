package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link RMSprop} with 8-bit blockwise state: tensors of at least {@code minEightBitSize} elements (default 4096) keep
 * each state as one byte per element plus one F32 absmax per block of 256, smaller ones keep 32-bit state (see
 * {@link Optimizer}, "State"). The update rule, its arguments and its defaults are {@link RMSprop}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code RMSprop8bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class RMSprop8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static RMSpropBuilder<RMSprop8bit> builder() {
        return new RMSpropBuilder<>(RMSprop8bit.class, Variant.EIGHT_BIT, Defaults.RMSPROP, RMSprop8bit::new);
    }

    /**
     * RMSprop8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public RMSprop8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private RMSprop8bit(RMSpropBuilder<RMSprop8bit> builder) {
        super(OptimizerKind.RMSPROP, builder.setup());
    }
}
