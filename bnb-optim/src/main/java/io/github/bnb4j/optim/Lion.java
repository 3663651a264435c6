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
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>Lion has no epsilon. Its updates have unit magnitude per element, so it wants a 3-10x smaller learning rate than
 * Adam.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link Lion8bit}, {@link Lion32bit}, {@link PagedLion},
 * {@link PagedLion8bit}, {@link PagedLion32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-4, betas (0.9, 0.99), weight decay 0. Configure through {@link #builder()}, for
 * example {@code Lion.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Lion extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<Lion> builder() {
        return new LionBuilder<>(Lion.class, Variant.STANDARD, Defaults.LION, Lion::new);
    }

    /**
     * Lion with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Lion(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Lion(LionBuilder<Lion> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
