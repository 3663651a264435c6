package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * {@link Lion} with paged state: large state buffers live in CUDA managed memory and are prefetched before each update
 * (see {@link Optimizer}, "Paged"); the state width is the {@code optimBits} argument (default 32-bit). The update
 * rule, its arguments and its defaults are {@link Lion}'s.
 *
 * <p>Configure through {@link #builder()}, for example {@code PagedLion.builder().params(params).lr(1e-3f).build()};
 * per-parameter overrides through {@link GlobalOptimManager}.
 */
public final class PagedLion extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<PagedLion> builder() {
        return new LionBuilder<>(PagedLion.class, Variant.PAGED, Defaults.LION, PagedLion::new);
    }

    /**
     * PagedLion with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public PagedLion(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private PagedLion(LionBuilder<PagedLion> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
