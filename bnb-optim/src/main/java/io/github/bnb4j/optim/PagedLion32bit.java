package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Lion} with paged 32-bit state (see {@link Optimizer}, "Paged"). The update rule, its arguments and its
 * defaults are {@link Lion}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedLion32bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedLion32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<PagedLion32bit> builder() {
        return new LionBuilder<>(PagedLion32bit.class, Variant.PAGED_THIRTY_TWO_BIT, Defaults.LION,
                PagedLion32bit::new);
    }

    /**
     * PagedLion32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedLion32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedLion32bit(LionBuilder<PagedLion32bit> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
