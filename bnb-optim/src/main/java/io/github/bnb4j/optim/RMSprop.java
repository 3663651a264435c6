package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * RMSprop (Tieleman &amp; Hinton, <i>Lecture 6.5 - rmsprop</i>, COURSERA: Neural Networks for Machine Learning,
 * 2012).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * g' = g + wd·p                             (if wd &gt; 0; coupled L2)
 * s  = α·s + (1 − α)·g'²
 * p  = p − lr · g' / (√s + eps)
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>{@code alpha = 0} and {@code centered = true} are refused, as upstream; momentum does not change the update. As
 * upstream, the 8-bit kernel divides the raw gradient (without weight decay) in the last line.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link RMSprop8bit}, {@link RMSprop32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-2, alpha 0.99, eps 1e-8, weight decay 0, momentum 0. Configure through
 * {@link #builder()}, for example {@code RMSprop.builder().params(model).lr(1e-3f).build()}; per-parameter overrides
 * through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class RMSprop extends Optimizer {
    /** A builder with upstream's defaults. */
    public static RMSpropBuilder<RMSprop> builder() {
        return new RMSpropBuilder<>(RMSprop.class, Variant.STANDARD, Defaults.RMSPROP, RMSprop::new);
    }

    /**
     * RMSprop with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public RMSprop(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private RMSprop(RMSpropBuilder<RMSprop> builder) {
        super(OptimizerKind.RMSPROP, builder.setup());
    }
}
