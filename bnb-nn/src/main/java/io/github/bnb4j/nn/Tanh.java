package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.nn.Activation;

/**
 * {@code torch.nn.Tanh()}: {@code tanh(x)}; gradient {@code 1 - tanh²(x)}.
 * See {@link ActivationModule}.
 */
public final class Tanh extends ActivationModule {
    /** The activation; it has no parameters. */
    public Tanh() {
        super(Activation.TANH);
    }
}
