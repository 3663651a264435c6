package io.github.bnb4j.optim;

import java.util.Objects;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * The hyper-parameters and state options of one parameter group (upstream's group dict plus its
 * {@code args}), validated on construction. What {@code beta1}/{@code beta2} mean depends on the optimizer:
 * Adam's moment decays, SGD's and LARS' (momentum, dampening), RMSprop's (alpha, momentum), Lion's two
 * interpolation factors; {@code beta3}, {@code alpha}, {@code tAlpha} and {@code tBeta3} are used by AdEMAMix
 * only.
 *
 * @param lr                 learning rate, finite and &gt;= 0
 * @param beta1              first decay, in [0, 1)
 * @param beta2              second decay, in [0, 1)
 * @param beta3              AdEMAMix slow-EMA decay, in [0, 1)
 * @param alpha              AdEMAMix weight of the slow EMA, finite and &gt;= 0
 * @param tAlpha             AdEMAMix warm-up steps of alpha; 0 = no schedule
 * @param tBeta3             AdEMAMix warm-up steps of beta3; 0 = no schedule
 * @param eps                denominator epsilon, finite and &gt;= 0
 * @param weightDecay        finite and &gt;= 0; see {@link OptimizerKind#weightDecayStyle()}
 * @param optimBits          width of the state
 * @param minEightBitSize    tensors with fewer elements keep 32-bit state (&gt;= 0)
 * @param maxUnorm           cap of the update norm relative to the parameter norm; 0 = off
 * @param percentileClipping clip the gradient norm to this percentile of the last 100 norms, 1..100;
 *                           100 = off
 * @param skipZeros          leave elements whose gradient is exactly zero untouched
 */
public record OptimConfig(float lr, float beta1, float beta2, float beta3, float alpha, int tAlpha, int tBeta3,
        float eps, float weightDecay, StateBits optimBits, long minEightBitSize, float maxUnorm,
        int percentileClipping, boolean skipZeros) {

    /** Upstream's default of {@code min_8bit_size}. */
    public static final long DEFAULT_MIN_EIGHT_BIT_SIZE = 4096;

    /**
     * @throws IllegalArgumentException naming the first argument out of range
     * @throws NullPointerException     if {@code optimBits} is null
     */
    public OptimConfig {
        ConfigChecks.nonNegative("lr", lr);
        ConfigChecks.beta("beta1", beta1);
        ConfigChecks.beta("beta2", beta2);
        ConfigChecks.beta("beta3", beta3);
        ConfigChecks.nonNegative("alpha", alpha);
        ConfigChecks.nonNegative("tAlpha", tAlpha);
        ConfigChecks.nonNegative("tBeta3", tBeta3);
        ConfigChecks.nonNegative("eps", eps);
        ConfigChecks.nonNegative("weightDecay", weightDecay);
        Objects.requireNonNull(optimBits, "optimBits");
        ConfigChecks.nonNegative("minEightBitSize", minEightBitSize);
        ConfigChecks.nonNegative("maxUnorm", maxUnorm);
        ConfigChecks.percentile(percentileClipping);
    }

    /** This configuration with another learning rate (for schedules). @throws IllegalArgumentException if invalid */
    public OptimConfig withLr(float newLr) {
        return new OptimConfig(newLr, beta1, beta2, beta3, alpha, tAlpha, tBeta3, eps, weightDecay, optimBits,
                minEightBitSize, maxUnorm, percentileClipping, skipZeros);
    }

    /** The state width a tensor of {@code numel} elements gets: 32-bit below {@link #minEightBitSize()}. */
    public StateBits stateBitsFor(long numel) {
        return numel < minEightBitSize ? StateBits.THIRTY_TWO : optimBits;
    }
}
