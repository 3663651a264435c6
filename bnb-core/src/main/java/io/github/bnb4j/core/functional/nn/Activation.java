package io.github.bnb4j.core.functional.nn;

/**
 * The pointwise activations of {@link Activations}, with torch's definitions (f computed in f32):
 * <pre>
 *   RELU       f(x) = max(x, 0) (NaN stays NaN)                          f'(x) = [x &gt; 0]
 *   GELU_ERF   f(x) = x/2 · (1 + erf(x/√2))                              (torch gelu, approximate='none')
 *   GELU_TANH  f(x) = x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))        (torch gelu, approximate='tanh')
 *   TANH       f(x) = tanh(x)                                             f'(x) = 1 - tanh²(x)
 *   SILU       f(x) = x · σ(x)                                            f'(x) = σ(x) · (1 + x · (1 - σ(x)))
 * </pre>
 */
public enum Activation {
    /** max(x, 0). */
    RELU(0),
    /** GELU with the exact erf. */
    GELU_ERF(1),
    /** GELU with the tanh approximation. */
    GELU_TANH(2),
    /** Hyperbolic tangent. */
    TANH(3),
    /** x · sigmoid(x) (swish). */
    SILU(4);

    /** The {@code BNB_ACT_*} constant of bnb/nn_ops.h. */
    final int code;

    Activation(int code) {
        this.code = code;
    }
}
