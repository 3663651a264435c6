package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Adam} with paged 32-bit state (see {@link Optimizer}, "Paged"). The update rule, its arguments and its
 * defaults are {@link Adam}'s.
 *
 * <p>Configure through {@link #builder()}, for example
 * {@code PagedAdam32bit.builder().params(params).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}.
 */
public final class PagedAdam32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<PagedAdam32bit> builder() {
        return new AdamBuilder<>(PagedAdam32bit.class, Variant.PAGED_THIRTY_TWO_BIT, Defaults.ADAM,
                PagedAdam32bit::new);
    }

    /**
     * PagedAdam32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedAdam32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedAdam32bit(AdamBuilder<PagedAdam32bit> builder) {
        super(OptimizerKind.ADAM, builder.setup());
    }
}
