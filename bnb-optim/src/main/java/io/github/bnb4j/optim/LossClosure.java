package io.github.bnb4j.optim;

/** Re-evaluates the model, computing fresh gradients, and returns the loss (torch's step closure). */
@FunctionalInterface
public interface LossClosure {
    /** Runs forward and backward passes and returns the loss. */
    float evaluate();
}
