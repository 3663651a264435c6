package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * Adagrad (Duchi, Hazan &amp; Singer, <i>Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization</i>, JMLR 2011).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * g' = g + wd·p                             (if wd &gt; 0; coupled L2)
 * s  = s + g'²
 * p  = p − lr · g' / (√s + eps)
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>A nonzero {@code lrDecay} or {@code initialAccumulatorValue} is refused, as upstream. As upstream, the 8-bit
 * kernel divides the raw gradient (without weight decay) in the last line.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link Adagrad8bit}, {@link Adagrad32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-2, weight decay 0, eps 1e-10. Configure through {@link #builder()}, for example
 * {@code Adagrad.builder().params(model).lr(1e-3f).build()}; per-parameter overrides through
 * {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Adagrad extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdagradBuilder<Adagrad> builder() {
        return new AdagradBuilder<>(Adagrad.class, Variant.STANDARD, Defaults.ADAGRAD, Adagrad::new);
    }

    /**
     * Adagrad with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Adagrad(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Adagrad(AdagradBuilder<Adagrad> builder) {
        super(OptimizerKind.ADAGRAD, builder.setup());
    }
}
