package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Tensor;

/**
 * The two gradients of {@code silu(gate) · up} ({@link Activations#swigluBackward}); the caller owns and closes
 * both.
 *
 * @param gradGate {@code gradOut · up · silu'(gate)}, gate's dtype and shape
 * @param gradUp   {@code gradOut · silu(gate)}, up's dtype and shape
 */
public record SwigluGradients(Tensor gradGate, Tensor gradUp) implements AutoCloseable {
    /** Closes both tensors. */
    @Override
    public void close() {
        NnChecks.closeAll(gradGate, gradUp);
    }
}
