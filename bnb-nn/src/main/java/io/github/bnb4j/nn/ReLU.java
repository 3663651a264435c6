package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.nn.Activation;

/**
 * {@code torch.nn.ReLU()}: {@code max(x, 0)}, NaN stays NaN; gradient 1 where x > 0, else 0.
 * See {@link ActivationModule}.
 */
public final class ReLU extends ActivationModule {
    /** The activation; it has no parameters. */
    public ReLU() {
        super(Activation.RELU);
    }
}
