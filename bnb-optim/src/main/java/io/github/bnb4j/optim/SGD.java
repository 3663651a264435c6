package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.Parameter;

/**
 * Stochastic gradient descent with momentum (Polyak 1964; Sutskever et al., <i>On the importance of initialization
 * and momentum in deep learning</i>, ICML 2013).
 *
 * <p>Update of a parameter {@code p} with gradient {@code g} at step {@code t} (elementwise unless noted):
 * <pre>
 * g' = g + wd·p                             (if wd &gt; 0; coupled L2)
 * s  = g' at step 1, else momentum·s + g'
 * p  = p − lr · s
 * </pre>
 *
 * <p>The state width is the {@code optimBits} argument (default 32-bit).
 *
 * <p>The learning rate has no default and momentum must be &gt; 0, as upstream (which raises NotImplementedError for
 * 0). Dampening and nesterov do not change the update.
 *
 * <p>Variants with the same rule, arguments and defaults: {@link SGD8bit}, {@link SGD32bit}.
 *
 * <p>Defaults (upstream's): lr required, momentum required, dampening 0, weight decay 0. Configure through
 * {@link #builder()}, for example {@code SGD.builder().params(model).lr(1e-3f).build()}; per-parameter overrides
 * through {@link GlobalOptimManager}. See {@link Optimizer} for the step, state and checkpoint semantics.
 */
public final class SGD extends Optimizer {
    /** A builder with upstream's defaults. */
    public static MomentumBuilder<SGD> builder() {
        return new MomentumBuilder<>(SGD.class, Variant.STANDARD, Defaults.SGD, SGD::new);
    }

    /**
     * SGD over one parameter group with the given learning rate and momentum, other arguments at their defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, {@code momentum} is not in
     *                                  (0, 1), or {@code params} is empty, holds a parameter twice or spans
     *                                  devices
     * @throws IllegalStateException    if a parameter is closed
     */
    public SGD(List<Parameter> params, float lr, float momentum) {
        this(builder().params(params).lr(lr).momentum(momentum).checked());
    }

    private SGD(MomentumBuilder<SGD> builder) {
        super(OptimizerKind.SGD, builder.setup());
    }
}
