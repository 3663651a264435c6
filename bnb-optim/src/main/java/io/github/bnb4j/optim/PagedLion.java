package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * Lion, EvoLved Sign Momentum (Chen et al., <i>Symbolic Discovery of Optimization Algorithms</i>, NeurIPS 2023,
 * arXiv:2302.06675).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * p = p · (1 − lr·wd)                      (if wd &gt; 0)
 * p = p − lr · sign(β1·m + (1 − β1)·g)
 * m = β2·m + (1 − β2)·g
 * </pre>
 *
 * <p>Paged: state buffers of at least 100,000 elements live in CUDA managed memory, which the driver pages out to the
 * host under GPU memory pressure, and are prefetched to the GPU before each update (QLoRA, Dettmers et al. 2023,
 * arXiv:2305.14314). On the CPU, or where the GPU cannot prefetch, it falls back with one WARN. The state width is
 * the {@code optimBits} argument (default 32-bit).
 *
 * <p>Lion has no epsilon. Its updates have unit magnitude per element, so it wants a 3-10x smaller learning rate than
 * Adam.
 *
 * <p>Defaults (upstream's): lr 1e-4, betas (0.9, 0.99), weight decay 0. Configure through {@link #builder()}, for
 * example {@code PagedLion.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
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
