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
 * <p>8-bit blockwise state (Dettmers et al., <i>8-bit Optimizers via Block-wise Quantization</i>, ICLR 2022,
 * arXiv:2110.02861): each state is stored as one byte per element, a code into a dynamic quantization map, with one
 * F32 absmax per block of 256 elements; tensors with fewer than {@code minEightBitSize} (default 4096) elements keep
 * 32-bit state.
 *
 * <p>The momentum rule with the update-norm cap {@code maxUnorm} (default 0.02). The learning rate has no default and
 * momentum must be &gt; 0, as upstream (which raises NotImplementedError for 0). Dampening and nesterov do not
 * change the update. Upstream has no 8-bit LARS kernel; bnb4j has one.
 *
 * <p>Defaults (upstream's): lr required, momentum required, dampening 0, weight decay 0, maxUnorm 0.02. Configure
 * through {@link #builder()}, for example {@code LARS8bit.builder().params(model).lr(1e-3f).build()}; per-parameter
 * overrides through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class LARS8bit extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<LARS8bit> builder() {
        return new MomentumBuilder<>(LARS8bit.class, Variant.EIGHT_BIT, Defaults.LARS, LARS8bit::new);
    }

    /**
     * LARS8bit over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public LARS8bit(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private LARS8bit(MomentumBuilder<LARS8bit> builder) {
        super(OptimizerKind.LARS, builder.setup());
    }
}
