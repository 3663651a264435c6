package io.github.bnb4j.core.functional.transformer;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * The gradients of {@link RmsNorm#forward}: the input's (x's shape) and the weight's ([n]), both in x's dtype.
 * Closing the record closes both.
 *
 * @param input  the gradient of x
 * @param weight the gradient of the weight
 */
public record RmsNormGradients(Tensor input, Tensor weight) implements AutoCloseable {
    /** @throws NullPointerException if a gradient is null */
    public RmsNormGradients {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(weight, "weight");
    }

    @Override
    public void close() {
        input.close();
        weight.close();
    }
}
