package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdEMAMix} with paged 8-bit blockwise state (see {@link Optimizer}, "State" and "Paged"). The update rule, its
 * arguments and its defaults are {@link AdEMAMix}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdEMAMix8bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdEMAMix8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdEMAMixBuilder<PagedAdEMAMix8bit> builder() {
        return new AdEMAMixBuilder<>(PagedAdEMAMix8bit.class, Variant.PAGED_EIGHT_BIT, Defaults.ADEMAMIX,
                PagedAdEMAMix8bit::new);
    }

    /**
     * PagedAdEMAMix8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdEMAMix8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdEMAMix8bit(AdEMAMixBuilder<PagedAdEMAMix8bit> builder) {
        super(OptimizerKind.ADEMAMIX, builder.setup());
    }
}
