package io.github.bnb4j.nn;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;

/**
 * A layer computing {@code y = x · Wᵀ + b} with W [outFeatures, inFeatures], dense or quantized: what
 * {@link LoraLinear} wraps.
 */
public sealed interface LinearLayer permits Linear, Linear8bitLt, Linear4bit {
    /** K: the last dimension of the input. */
    long inFeatures();

    /** N: the last dimension of the output. */
    long outFeatures();

    /** The dtype of the layer's dense tensors (bias, 16-bit weight), which adapters on it share. */
    DType dtype();

    /** The device of the layer's tensors. */
    Device device();

    /** The layer itself, as a module. */
    default Module module() {
        return (Module) this;
    }
}
