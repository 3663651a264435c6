package io.github.bnb4j.optim;

import java.util.function.Function;

/**
 * Builds the RMSprop classes: {@code lr, alpha, eps, weightDecay, momentum, centered} plus the common options.
 * As upstream, {@code alpha = 0} and {@code centered = true} are refused and momentum does not change the
 * update.
 *
 * @param <O> the class built
 */
public final class RMSpropBuilder<O extends Optimizer> extends OptimizerBuilder<RMSpropBuilder<O>, O> {
    private boolean centered;

    RMSpropBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<RMSpropBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Decay of the squared-gradient average ({@code beta1}); must be &gt; 0.
     *
     * @return this builder
     * @throws IllegalArgumentException unless in (0, 1)
     */
    public RMSpropBuilder<O> alpha(float alpha) {
        ConfigChecks.beta("alpha", alpha);
        if (alpha == 0) {
            throw new IllegalArgumentException("alpha of RMSprop must be > 0, got 0.0: not implemented, as upstream");
        }
        settings.beta1(alpha);
        return this;
    }

    /**
     * Denominator epsilon.
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public RMSpropBuilder<O> eps(float eps) {
        settings.eps(ConfigChecks.nonNegative("eps", eps));
        return this;
    }

    /**
     * Momentum (kept as {@code beta2}; the kernel ignores it, as upstream's).
     *
     * @return this builder
     * @throws IllegalArgumentException unless in [0, 1)
     */
    public RMSpropBuilder<O> momentum(float momentum) {
        settings.beta2(ConfigChecks.beta("momentum", momentum));
        return this;
    }

    /** Centered RMSprop is not implemented; true is refused at {@link #build()}. @return this builder */
    public RMSpropBuilder<O> centered(boolean enabled) {
        centered = enabled;
        return this;
    }

    @Override
    void checkArguments() {
        if (centered) {
            throw new IllegalArgumentException("centered of " + className() + " must be false, got true: "
                    + "centered RMSprop is not implemented, as upstream");
        }
    }
}
