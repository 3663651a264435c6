package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link LAMB} with 8-bit blockwise state: tensors of at least {@code minEightBitSize} elements (default 4096) keep
 * each state as one byte per element plus one F32 absmax per block of 256, smaller ones keep 32-bit state (see
 * {@link Optimizer}, "State"). The update rule, its arguments and its defaults are {@link LAMB}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code LAMB8bit.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class LAMB8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LambBuilder<LAMB8bit> builder() {
        return new LambBuilder<>(LAMB8bit.class, Variant.EIGHT_BIT, Defaults.LAMB, LAMB8bit::new);
    }

    /**
     * LAMB8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LAMB8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private LAMB8bit(LambBuilder<LAMB8bit> builder) {
        super(OptimizerKind.LAMB, builder.setup());
    }
}
