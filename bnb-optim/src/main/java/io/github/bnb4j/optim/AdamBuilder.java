package io.github.bnb4j.optim;

import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the Adam and AdamW classes: {@code lr, betas, eps, weightDecay, amsgrad} plus the common options.
 *
 * @param <O> the class built
 */
public final class AdamBuilder<O extends Optimizer> extends OptimizerBuilder<AdamBuilder<O>, O> {
    private static final Logger LOG = LoggerFactory.getLogger(AdamBuilder.class);
    private boolean amsgrad;

    AdamBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<AdamBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Decay rates of the first and second moment.
     *
     * @return this builder
     * @throws IllegalArgumentException unless both are in [0, 1)
     */
    public AdamBuilder<O> betas(float beta1, float beta2) {
        settings.beta1(ConfigChecks.beta("beta1", beta1)).beta2(ConfigChecks.beta("beta2", beta2));
        return this;
    }

    /**
     * Denominator epsilon.
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public AdamBuilder<O> eps(float eps) {
        settings.eps(ConfigChecks.nonNegative("eps", eps));
        return this;
    }

    /**
     * AMSGrad is not implemented: as upstream, the 32-bit classes ignore it (with a WARN here) and the 8-bit
     * classes refuse it at {@link #build()}.
     *
     * @return this builder
     */
    public AdamBuilder<O> amsgrad(boolean enabled) {
        this.amsgrad = enabled;
        return this;
    }

    @Override
    void checkArguments() {
        if (amsgrad) {
            if (variant().isEightBit()) {
                throw new IllegalArgumentException("amsgrad of " + className() + " must be false, got true");
            }
            LOG.warn("{}: amsgrad=true is ignored, as in bitsandbytes", className());
        }
    }
}
