package io.github.bnb4j.nn;

import io.github.bnb4j.core.functional.nn.Activation;

/**
 * {@code torch.nn.SiLU()} (swish): {@code x · σ(x)}; gradient {@code σ(x) · (1 + x · (1 - σ(x)))}.
 * See {@link ActivationModule}.
 */
public final class SiLU extends ActivationModule {
    /** The activation; it has no parameters. */
    public SiLU() {
        super(Activation.SILU);
    }
}
