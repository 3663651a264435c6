package io.github.bnb4j.optim;

import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the LAMB classes: {@code lr, betas, eps, weightDecay, maxUnorm} and upstream's ignored
 * {@code biasCorrection, adamWMode, amsgrad}, plus the common options.
 *
 * @param <O> the class built
 */
public final class LambBuilder<O extends Optimizer> extends OptimizerBuilder<LambBuilder<O>, O> {
    private static final Logger LOG = LoggerFactory.getLogger(LambBuilder.class);
    private boolean amsgrad;
    private boolean biasCorrection = true;
    private boolean adamWMode = true;
    private Float maxUnorm;

    LambBuilder(Class<O> type, Variant variant, OptimConfig defaults, Function<LambBuilder<O>, O> factory) {
        super(type, variant, defaults, factory);
    }

    /**
     * Decay rates of the first and second moment.
     *
     * @return this builder
     * @throws IllegalArgumentException unless both are in [0, 1)
     */
    public LambBuilder<O> betas(float beta1, float beta2) {
        settings.beta1(ConfigChecks.beta("beta1", beta1)).beta2(ConfigChecks.beta("beta2", beta2));
        return this;
    }

    /**
     * Denominator epsilon.
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public LambBuilder<O> eps(float eps) {
        settings.eps(ConfigChecks.nonNegative("eps", eps));
        return this;
    }

    /**
     * Trust-ratio cap: the update norm is limited to {@code maxUnorm·‖p‖} (default 1.0; 0 = off).
     *
     * @return this builder
     * @throws IllegalArgumentException if negative, NaN or infinite
     */
    public LambBuilder<O> maxUnorm(float value) {
        settings.maxUnorm(ConfigChecks.nonNegative("maxUnorm", value));
        maxUnorm = value;
        return this;
    }

    /** Ignored, as upstream (the kernel always bias-corrects). @return this builder */
    public LambBuilder<O> biasCorrection(boolean enabled) {
        biasCorrection = enabled;
        return this;
    }

    /** Ignored, as upstream (weight decay is always decoupled). @return this builder */
    public LambBuilder<O> adamWMode(boolean enabled) {
        adamWMode = enabled;
        return this;
    }

    /** Not implemented: ignored by {@link LAMB} and {@link LAMB32bit}, refused by {@link LAMB8bit}. @return this */
    public LambBuilder<O> amsgrad(boolean enabled) {
        amsgrad = enabled;
        return this;
    }

    @Override
    void checkArguments() {
        if (variant().isEightBit()) {
            if (amsgrad) {
                throw new IllegalArgumentException("amsgrad of " + className() + " must be false, got true");
            }
            if (maxUnorm != null && maxUnorm != Defaults.LAMB.maxUnorm()) {
                throw new IllegalArgumentException("maxUnorm of " + className() + " must be " + Defaults.LAMB.maxUnorm()
                        + ", got " + maxUnorm);
            }
        }
        if (amsgrad || !biasCorrection || !adamWMode) {
            LOG.warn("{}: amsgrad, biasCorrection and adamWMode are ignored, as in bitsandbytes", className());
        }
    }
}
