package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * LARS, layer-wise adaptive rate scaling (You, Gitman &amp; Ginsburg, <i>Large Batch Training of Convolutional
 * Networks</i>, 2017, arXiv:1708.03888).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * g' = g + wd·p                             (if wd &gt; 0; coupled L2)
 * s  = g' at step 1, else momentum·s + g'
 * r  = maxUnorm·‖p‖ / ‖s‖   if ‖s‖ &gt; maxUnorm·‖p‖, else 1   (trust ratio per tensor, ‖s‖ without decay)
 * p  = p − r · lr · s
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>The momentum rule with the update-norm cap {@code maxUnorm} (default 0.02). The learning rate has no default and
 * momentum must be &gt; 0, as upstream (which raises NotImplementedError for 0). Dampening and nesterov do not
 * change the update. Upstream has no 8-bit LARS kernel; bnb4j has one.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link LARS8bit}, {@link LARS32bit}.
 *
 * <p>Defaults (upstream's): lr required, momentum required, dampening 0, weight decay 0, maxUnorm 0.02. Configure
 * through {@link #builder()}, for example {@code LARS.builder().params(model).lr(1e-3f).build()}; per-parameter
 * overrides through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class LARS extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<LARS> builder() {
        return new MomentumBuilder<>(LARS.class, Variant.STANDARD, Defaults.LARS, LARS::new);
    }

    /**
     * LARS over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LARS(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private LARS(MomentumBuilder<LARS> builder) {
        super(OptimizerKind.LARS, builder.setup());
    }
}
