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
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>As in bitsandbytes, weight decay is decoupled (applied after the step, as AdamW does), so Adam with weight decay
 * behaves like {@link AdamW}. {@code amsgrad} is not implemented.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link Adam8bit}, {@link Adam32bit}, {@link PagedAdam},
 * {@link PagedAdam8bit}, {@link PagedAdam32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. Configure through
 * {@link #builder()}, for example {@code Adam.builder().params(model).lr(1e-3f).build()}; per-parameter overrides
 * through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class Adam extends Optimizer {
    /** A builder with upstream's defaults. */
    public static AdamBuilder<Adam> builder() {
        return new AdamBuilder<>(Adam.class, Variant.STANDARD, Defaults.ADAM, Adam::new);
    }

    /**
     * Adam with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public Adam(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private Adam(AdamBuilder<Adam> builder) {
        super(OptimizerKind.ADAM, builder.setup());
    }
}
