package io.github.bnb4j.optim;

import java.util.function.Function;

/**
 * Builds the Adagrad classes: {@code lr, lrDecay, weightDecay, initialAccumulatorValue, eps} plus the common
 * options. As upstream, a nonzero {@code lrDecay} or {@code initialAccumulatorValue} is refused.
 *
 * @param <O> the class built
 */
public final class AdagradBuilder<O extends Optimizer> extends OptimizerBuilder<AdagradBuilder<O>, O> {
    private float lrDecay;
    private float initialAccumulatorValue;

    AdagradBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<AdagradBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Denominator epsilon (default 1e-10).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public AdagradBuilder<O> eps(float eps) {
        settings.eps(ConfigChecks.nonNegative("eps", eps));
        return this;
    }

    /** Learning-rate decay: only 0 is supported, anything else is refused at {@link #build()}. @return this */
    public AdagradBuilder<O> lrDecay(float value) {
        lrDecay = value;
        return this;
    }

    /** Initial accumulator: only 0 is supported, anything else is refused at {@link #build()}. @return this */
    public AdagradBuilder<O> initialAccumulatorValue(float value) {
        initialAccumulatorValue = value;
        return this;
    }

    @Override
    void checkArguments() {
        if (lrDecay != 0) {
            throw new IllegalArgumentException("lrDecay of " + className() + " must be 0, got " + lrDecay
                    + ": learning-rate decay is not implemented, as upstream");
        }
        if (initialAccumulatorValue != 0) {
            throw new IllegalArgumentException("initialAccumulatorValue of " + className() + " must be 0, got "
                    + initialAccumulatorValue + ": not implemented, as upstream");
        }
    }
}
