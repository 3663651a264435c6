package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * Adam (Kingma &amp; Ba, <i>Adam: A Method for Stochastic Optimization</i>, ICLR 2015, arXiv:1412.6980).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g²
 * p = p − lr · (√(1 − β2^t) / (1 − β1^t)) · m / (√v + eps·√(1 − β2^t))
 * p = p · (1 − lr·wd)                      (if wd &gt; 0)
 * </pre>
 *
 * <p>Paged (state in CUDA managed memory, prefetched before each update; see {@link PagedAdam}) with 8-bit blockwise
 * state (see {@link Adam8bit}).
 *
 * <p>As in bitsandbytes, weight decay is decoupled (applied after the step, as AdamW does), so Adam with weight decay
 * behaves like {@link AdamW}. {@code amsgrad} is not implemented.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. Configure through
 * {@link #builder()}, for example {@code PagedAdam8bit.builder().params(model).lr(1e-3f).build()}; per-parameter
 * overrides through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
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
