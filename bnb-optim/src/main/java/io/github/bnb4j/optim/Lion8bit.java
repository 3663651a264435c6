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
 * <p>8-bit blockwise state (Dettmers et al., <i>8-bit Optimizers via Block-wise Quantization</i>, ICLR 2022,
 * arXiv:2110.02861): each state is stored as one byte per element, a code into a dynamic quantization map, with one
 * F32 absmax per block of 256 elements; tensors with fewer than {@code minEightBitSize} (default 4096) elements keep
 * 32-bit state.
 *
 * <p>Lion has no epsilon. Its updates have unit magnitude per element, so it wants a 3-10x smaller learning rate than
 * Adam.
 *
 * <p>Defaults (upstream's): lr 1e-4, betas (0.9, 0.99), weight decay 0. Configure through {@link #builder()}, for
 * example {@code Lion8bit.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Lion8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LionBuilder<Lion8bit> builder() {
        return new LionBuilder<>(Lion8bit.class, Variant.EIGHT_BIT, Defaults.LION, Lion8bit::new);
    }

    /**
     * Lion8bit with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Lion8bit(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Lion8bit(LionBuilder<Lion8bit> builder) {
        super(OptimizerKind.LION, builder.setup());
    }
}
