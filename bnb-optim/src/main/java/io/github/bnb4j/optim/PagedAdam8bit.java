package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Adam} with paged 8-bit blockwise state (see {@link Optimizer}, "State" and "Paged"). The update rule, its
 * arguments and its defaults are {@link Adam}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdam8bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdam8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<PagedAdam8bit> builder() {
        return new AdamBuilder<>(PagedAdam8bit.class, Variant.PAGED_EIGHT_BIT, Defaults.ADAM, PagedAdam8bit::new);
    }

    /**
     * PagedAdam8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdam8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdam8bit(AdamBuilder<PagedAdam8bit> builder) {
        super(OptimizerKind.ADAM, builder.setup());
    }
}
