package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link AdamW} with paged 32-bit state (see {@link Optimizer}, "Paged"). The update rule, its arguments and its
 * defaults are {@link AdamW}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdamW32bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdamW32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<PagedAdamW32bit> builder() {
        return new AdamBuilder<>(PagedAdamW32bit.class, Variant.PAGED_THIRTY_TWO_BIT, Defaults.ADAMW,
                PagedAdamW32bit::new);
    }

    /**
     * PagedAdamW32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdamW32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdamW32bit(AdamBuilder<PagedAdamW32bit> builder) {
        super(OptimizerKind.ADAMW, builder.setup());
    }
}
