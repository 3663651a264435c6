package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * A quantized tensor: its codes and the state that dequantizes them. Closing it closes both.
 *
 * @param codes U8 codes with the shape of the input (8-bit), or packed nibbles (4-bit)
 * @param state scales, code book and metadata
 */
public record Quantized(Tensor codes, QuantState state) implements AutoCloseable {
    /** @throws NullPointerException if an argument is null */
    public Quantized {
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(state, "state");
    }

    @Override
    public void close() {
        codes.close();
        state.close();
    }
}
