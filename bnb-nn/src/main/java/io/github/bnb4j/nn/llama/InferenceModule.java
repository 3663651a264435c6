package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nn.Module;

/**
 * A module of the Llama decoder: inference only. Its forward passes keep nothing for a backward pass, and
 * {@link #backward} throws: training a Llama in bnb4j goes through adapters on its linear layers, whose modules
 * ({@code LoraLinear} over the quantized layers) have their own backward.
 */
abstract class InferenceModule extends Module {
    /** @throws UnsupportedOperationException always: the Llama modules compute no gradients */
    @Override
    protected final Tensor backwardImpl(Tensor gradOutput) {
        throw new UnsupportedOperationException(describe() + " is inference only: it has no backward pass");
    }
}
