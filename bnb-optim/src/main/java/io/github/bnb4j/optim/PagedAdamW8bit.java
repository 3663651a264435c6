package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdamW} with paged 8-bit blockwise state (see {@link Optimizer}, "State" and "Paged"). The update rule, its
 * arguments and its defaults are {@link AdamW}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdamW8bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdamW8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<PagedAdamW8bit> builder() {
        return new AdamBuilder<>(PagedAdamW8bit.class, Variant.PAGED_EIGHT_BIT, Defaults.ADAMW, PagedAdamW8bit::new);
    }

    /**
     * PagedAdamW8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdamW8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdamW8bit(AdamBuilder<PagedAdamW8bit> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
