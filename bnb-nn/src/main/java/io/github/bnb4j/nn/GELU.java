package io.github.bnb4j.nn;

import java.util.Objects;

import io.github.bnb4j.core.functional.nn.Activation;

/**
 * {@code torch.nn.GELU(approximate='none')}: {@code x/2 · (1 + erf(x/√2))}, or with {@link Approximate#TANH}
 * {@code x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))}. See {@link ActivationModule}.
 */
public final class GELU extends ActivationModule {
    /** torch's {@code approximate} argument. */
    public enum Approximate {
        /** The exact erf form ({@code 'none'}, the default). */
        NONE,
        /** The tanh approximation ({@code 'tanh'}). */
        TANH
    }

    /** The exact GELU (torch's default). */
    public GELU() {
        this(Approximate.NONE);
    }

    /**
     * GELU with torch's {@code approximate}.
     *
     * @throws NullPointerException if {@code approximate} is null
     */
    public GELU(Approximate approximate) {
        super(Objects.requireNonNull(approximate, "approximate") == Approximate.NONE ? Activation.GELU_ERF
                : Activation.GELU_TANH);
    }
}
