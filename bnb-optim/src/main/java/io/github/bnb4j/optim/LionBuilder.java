package io.github.bnb4j.optim;

import java.util.function.Function;

/**
 * Builds the Lion classes: {@code lr, betas, weightDecay} plus the common options.
 *
 * @param <O> the class built
 */
public final class LionBuilder<O extends Optimizer> extends OptimizerBuilder<LionBuilder<O>, O> {

    LionBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<LionBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * {@code beta1} interpolates the update direction, {@code beta2} decays the momentum.
     *
     * @return this builder
     * @throws IllegalArgumentException unless both are in [0, 1)
     */
    public LionBuilder<O> betas(float beta1, float beta2) {
        settings.beta1(ConfigChecks.beta("beta1", beta1)).beta2(ConfigChecks.beta("beta2", beta2));
        return this;
    }

    @Override
    void checkArguments() {
        // Lion has no arguments beyond the validated setters
    }
}
