package io.github.bnb4j.optim;

import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the SGD and LARS classes: {@code lr} (required), {@code momentum} (required, &gt; 0),
 * {@code dampening, weightDecay, nesterov, maxUnorm} plus the common options. As upstream, dampening and
 * nesterov do not change the update.
 *
 * @param <O> the class built
 */
public final class MomentumBuilder<O extends Optimizer> extends OptimizerBuilder<MomentumBuilder<O>, O> {
    private static final Logger LOG = LoggerFactory.getLogger(MomentumBuilder.class);
    private float momentum;
    private boolean nesterov;

    MomentumBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<MomentumBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Momentum (the state decay {@code beta1}); 0, upstream's default, is refused at {@link #build()}.
     *
     * @return this builder
     * @throws IllegalArgumentException unless in [0, 1)
     */
    public MomentumBuilder<O> momentum(float value) {
        settings.beta1(ConfigChecks.beta("momentum", value));
        momentum = value;
        return this;
    }

    /**
     * Dampening (kept as {@code beta2}; the kernel ignores it, as upstream's).
     *
     * @return this builder
     * @throws IllegalArgumentException unless in [0, 1)
     */
    public MomentumBuilder<O> dampening(float value) {
        settings.beta2(ConfigChecks.beta("dampening", value));
        return this;
    }

    /** Ignored, as upstream (a WARN says so). @return this builder */
    public MomentumBuilder<O> nesterov(boolean enabled) {
        nesterov = enabled;
        return this;
    }

    /**
     * Update-norm cap relative to the parameter norm (LARS' trust ratio; default 0.02 for LARS, 0 = off for SGD).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public MomentumBuilder<O> maxUnorm(float value) {
        settings.maxUnorm(ConfigChecks.nonNegative("maxUnorm", value));
        return this;
    }

    @Override
    void checkArguments() {
        if (!lrSet()) {
            throw new IllegalStateException("lr of " + className() + " must be set: it has no default, as upstream");
        }
        if (momentum == 0) {
            throw new IllegalArgumentException("momentum of " + className() + " must be > 0, got 0.0: "
                    + "plain SGD without momentum is not implemented, as upstream");
        }
        if (nesterov) {
            LOG.warn("{}: nesterov=true is ignored, as in bitsandbytes", className());
        }
    }
}
