package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * LAMB, layer-wise adaptive moments (You et al., <i>Large Batch Optimization for Deep Learning: Training BERT in 76
 * minutes</i>, ICLR 2020, arXiv:1904.00962).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g²
 * u = (m/(1 − β1^t)) / (√(v/(1 − β2^t)) + eps)
 * s = maxUnorm·‖p‖ / ‖u‖   if ‖u‖ &gt; maxUnorm·‖p‖, else 1     (trust ratio, per tensor)
 * p = p − s · lr · (√(1 − β2^t) / (1 − β1^t)) · m / (√v + eps·√(1 − β2^t))
 * p = p · (1 − lr·wd)                      (if wd &gt; 0)
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>The Adam rule with the update-norm cap {@code maxUnorm} (default 1.0). Upstream has no 8-bit LAMB kernel; bnb4j
 * has one. {@code biasCorrection}, {@code adamWMode} and {@code amsgrad} are ignored as upstream ({@link LAMB8bit}
 * refuses amsgrad and a {@code maxUnorm} other than 1.0).
 *
 * <p>Variants with the same rule, arguments and defaults: {@link LAMB8bit}, {@link LAMB32bit}.
 *
 * <p>Defaults (upstream's): lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0, maxUnorm 1.0. Configure through
 * {@link #builder()}, for example {@code LAMB.builder().params(model).lr(1e-3f).build()}; per-parameter overrides
 * through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class LAMB extends Optimizer {
    /** A builder with upstream's defaults. */
    public static LambBuilder<LAMB> builder() {
        return new LambBuilder<>(LAMB.class, Variant.STANDARD, Defaults.LAMB, LAMB::new);
    }

    /**
     * LAMB with the defaults over one parameter group.
     *
     * @throws IllegalArgumentException if {@code params} is empty, holds a parameter twice or spans devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LAMB(List<Parameter> params) {
        this(builder().params(params).checked());
    }

    private LAMB(LambBuilder<LAMB> builder) {
        super(OptimizerKind.LAMB, builder.setup());
    }
}
