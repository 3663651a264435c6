package io.github.bnb4j.nn;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Activation;
import io.github.bnb4j.core.functional.nn.Activations;

/**
 * A pointwise activation as a module ({@link ReLU}, {@link GELU}, {@link Tanh}, {@link SiLU}): no parameters,
 * {@code y = f(x)} and {@code dx = dy · f'(x)} elementwise (Activations: f32 arithmetic, one rounding to x's dtype).
 * Any F32, F16 or BF16 input of any shape on any device; the output has its dtype, shape and device. In training
 * mode forward keeps its input by reference for backward.
 */
public abstract sealed class ActivationModule extends Module permits ReLU, GELU, Tanh, SiLU {
    private final Activation activation;
    private Tensor savedInput;

    ActivationModule(Activation activation) {
        this.activation = activation;
    }

    /** Which f. */
    public final Activation activation() {
        return activation;
    }

    /**
     * {@code y = f(x)}.
     *
     * @param input F32, F16 or BF16, any shape
     * @return a new tensor of the input's dtype, shape and device
     * @throws IllegalArgumentException if the input is not F32, F16 or BF16
     */
    @Override
    protected final Tensor forwardImpl(Tensor input) {
        LayerChecks.requireFloat(this, "input", input);
        Tensor out = Activations.forward(activation, input);
        savedInput = isTraining() ? input : null;
        return out;
    }

    @Override
    protected final Tensor backwardImpl(Tensor gradOutput) {
        Tensor x = requireSaved(savedInput);
        LayerChecks.requireLike(this, "gradOutput", gradOutput, x);
        Tensor gradIn = Activations.backward(activation, x, gradOutput);
        savedInput = null;
        return gradIn;
    }

    @Override
    final void releaseSaved() {
        savedInput = null;
    }
}
