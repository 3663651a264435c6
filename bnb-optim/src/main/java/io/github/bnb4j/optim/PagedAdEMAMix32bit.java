package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdEMAMix} with paged 32-bit state (see {@link Optimizer}, "Paged"). The update rule, its arguments and its
 * defaults are {@link AdEMAMix}'s.
 *
 * <p>Upstream allocates this class's state1 at half the size the kernel reads (spec §7.1); here it has the full
 * {@code [2, ...shape]} size.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdEMAMix32bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdEMAMix32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdEMAMixBuilder<PagedAdEMAMix32bit> builder() {
        return new AdEMAMixBuilder<>(PagedAdEMAMix32bit.class, Variant.PAGED_THIRTY_TWO_BIT, Defaults.ADEMAMIX,
                PagedAdEMAMix32bit::new);
    }

    /**
     * PagedAdEMAMix32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdEMAMix32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdEMAMix32bit(AdEMAMixBuilder<PagedAdEMAMix32bit> builder) {
        super(OptimizerKind.ADEMAMIX, builder.setup());
    }
}
