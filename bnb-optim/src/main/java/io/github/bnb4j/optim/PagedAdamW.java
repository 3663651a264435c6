package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdamW} with paged state: large state buffers live in CUDA managed memory and are prefetched before each update
 * (see {@link Optimizer}, "Paged"); the state width is the {@code optimBits} argument (default 32-bit). The update
 * rule, its arguments and its defaults are {@link AdamW}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code PagedAdamW.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class PagedAdamW extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<PagedAdamW> builder() {
        return new AdamBuilder<>(PagedAdamW.class, Variant.PAGED, Defaults.ADAMW, PagedAdamW::new);
    }

    /**
     * PagedAdamW with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdamW(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdamW(AdamBuilder<PagedAdamW> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
