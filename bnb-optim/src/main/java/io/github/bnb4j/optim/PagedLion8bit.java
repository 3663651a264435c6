package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Lion} with paged 8-bit blockwise state (see {@link Optimizer}, "State" and "Paged"). The update rule, its
 * arguments and its defaults are {@link Lion}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedLion8bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedLion8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<PagedLion8bit> builder() {
        return new LionBuilder<>(PagedLion8bit.class, Variant.PAGED_EIGHT_BIT, Defaults.LION, PagedLion8bit::new);
    }

    /**
     * PagedLion8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedLion8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedLion8bit(LionBuilder<PagedLion8bit> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
