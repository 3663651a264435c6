package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * A 4-bit quantized tensor: its packed codes and the state that dequantizes them. Closing it closes both.
 *
 * @param packed U8 [ceil(n / 2)]: value 2j in the high nibble of byte j, value 2j + 1 in the low one
 * @param state  scales, quant type, shape and dtype of the original tensor
 */
public record FourBitQuantized(Tensor packed, FourBitState state) implements AutoCloseable {
    /** @throws NullPointerException if an argument is null */
    public FourBitQuantized {
        Objects.requireNonNull(packed, "packed");
        Objects.requireNonNull(state, "state");
    }

    @Override
    public void close() {
        packed.close();
        state.close();
    }
}
