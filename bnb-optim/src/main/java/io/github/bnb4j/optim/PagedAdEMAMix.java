package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdEMAMix} with paged state: large state buffers live in CUDA managed memory and are prefetched before each
 * update (see {@link Optimizer}, "Paged"); the state width is the {@code optimBits} argument (default 32-bit). The
 * update rule, its arguments and its defaults are {@link AdEMAMix}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdEMAMix.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdEMAMix extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdEMAMixBuilder<PagedAdEMAMix> builder() {
        return new AdEMAMixBuilder<>(PagedAdEMAMix.class, Variant.PAGED, Defaults.ADEMAMIX, PagedAdEMAMix::new);
    }

    /**
     * PagedAdEMAMix with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdEMAMix(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdEMAMix(AdEMAMixBuilder<PagedAdEMAMix> builder) {
        super(OptimizerKind.ADEMAMIX, builder.setup());
    }
}
