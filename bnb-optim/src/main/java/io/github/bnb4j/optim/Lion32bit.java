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
 * <p>Always 32-bit state.
 *
 * <p>Lion has no epsilon. Its updates have unit magnitude per element, so it wants a 3-10x smaller learning rate than
 * Adam.
 *
 * <p>Defaults (upstream's): lr 1e-4, betas (0.9, 0.99), weight decay 0. Configure through {@link #builder()}, for
 * example {@code Lion32bit.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Lion32bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<Lion32bit> builder() {
        return new LionBuilder<>(Lion32bit.class, Variant.THIRTY_TWO_BIT, Defaults.LION, Lion32bit::new);
    }

    /**
     * Lion32bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Lion32bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Lion32bit(LionBuilder<Lion32bit> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
