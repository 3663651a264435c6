package io.github.bnb4j.optim;

import java.util.function.Function;

/**
 * Builds the AdEMAMix classes: {@code lr, betas (beta1, beta2, beta3), alpha, tAlpha, tBeta3, eps, weightDecay}
 * plus the common options.
 *
 * @param <O> the class built
 */
public final class AdEMAMixBuilder<O extends Optimizer> extends OptimizerBuilder<AdEMAMixBuilder<O>, O> {

    AdEMAMixBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<AdEMAMixBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Decays of the fast EMA, the second moment and the slow EMA.
     *
     * @return this builder
     * @throws IllegalArgumentException unless all are in [0, 1)
     */
    public AdEMAMixBuilder<O> betas(float beta1, float beta2, float beta3) {
        settings.beta1(ConfigChecks.beta("beta1", beta1)).beta2(ConfigChecks.beta("beta2", beta2))
                .beta3(ConfigChecks.beta("beta3", beta3));
        return this;
    }

    /**
     * Weight of the slow EMA in the update (default 5).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public AdEMAMixBuilder<O> alpha(float alpha) {
        settings.alpha(ConfigChecks.nonNegative("alpha", alpha));
        return this;
    }

    /**
     * Steps over which alpha warms up linearly from 0 (default 0 = no schedule).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public AdEMAMixBuilder<O> tAlpha(int steps) {
        settings.tAlpha(ConfigChecks.nonNegative("tAlpha", steps));
        return this;
    }

    /**
     * Steps over which beta3 warms up from beta1 (default 0 = no schedule).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public AdEMAMixBuilder<O> tBeta3(int steps) {
        settings.tBeta3(ConfigChecks.nonNegative("tBeta3", steps));
        return this;
    }

    /**
     * Denominator epsilon.
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public AdEMAMixBuilder<O> eps(float eps) {
        settings.eps(ConfigChecks.nonNegative("eps", eps));
        return this;
    }

    @Override
    void checkArguments() {
        // every AdEMAMix argument is validated by its setter
    }
}
