package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Tensor;

/**
 * A quantized tensor: its codes and the state that dequantizes them. Closing it closes both.
 *
 * @param codes U8 codes with the shape of the input (8-bit), or packed nibbles (4-bit)
 * @param state scales, code book and metadata
 */
public record Quantized(Tensor codes, QuantState state) implements AutoCloseable {
    @Override
    public void close() {
        codes.close();
        state.close();
    }
}
