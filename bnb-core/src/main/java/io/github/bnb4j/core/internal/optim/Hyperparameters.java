package io.github.bnb4j.core.internal.optim;

/**
 * Scalars of one optimizer step, shared by every tensor of an {@link OptimizerKernels#step} call.
 *
 * @param lr          learning rate, finite and {@code >= 0}
 * @param beta1       first-moment decay (momentum for SGD/LARS, alpha for RMSprop), in [0, 1)
 * @param beta2       second-moment decay (Lion: the state decay), in [0, 1)
 * @param beta3       AdEMAMix slow-EMA decay, in [0, 1)
 * @param alpha       AdEMAMix mixing weight of the slow EMA, {@code >= 0}
 * @param eps         denominator epsilon, {@code >= 0}
 * @param weightDecay {@code >= 0}; decoupled for ADAM/LAMB/ADEMAMIX/LION, added to the gradient otherwise
 * @param maxUnorm    update-norm cap relative to the parameter norm (LAMB 1.0, LARS 0.02); 0 = off
 * @param percentile  percentile clipping of the gradient norm, 1..100; 100 = off
 * @param skipZeros   skip elements whose gradient is exactly zero
 */
public record Hyperparameters(float lr, float beta1, float beta2, float beta3, float alpha, float eps,
        float weightDecay, float maxUnorm, int percentile, boolean skipZeros) {

    /**
     * @throws IllegalArgumentException naming the first value out of range
     */
    public Hyperparameters {
        requireRange("lr", lr, 0, Float.MAX_VALUE);
        requireBeta("beta1", beta1);
        requireBeta("beta2", beta2);
        requireBeta("beta3", beta3);
        requireRange("alpha", alpha, 0, Float.MAX_VALUE);
        requireRange("eps", eps, 0, Float.MAX_VALUE);
        requireRange("weightDecay", weightDecay, 0, Float.MAX_VALUE);
        requireRange("maxUnorm", maxUnorm, 0, Float.MAX_VALUE);
        if (percentile < 1 || percentile > 100) {
            throw new IllegalArgumentException("percentile must be in [1, 100], got " + percentile);
        }
    }

    private static void requireBeta(String name, float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
    }

    private static void requireRange(String name, float value, float min, float max) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(name + " must be finite and >= " + min + ", got " + value);
        }
    }
}
