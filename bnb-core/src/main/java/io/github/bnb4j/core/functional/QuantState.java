package io.github.bnb4j.core.functional;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * Everything needed to dequantize a blockwise-quantized tensor (upstream {@code QuantState}). Immutable;
 * owns its tensors, which {@link #close()} releases.
 *
 * @param absmax    F32 [blocks] scales, or for a nested state the U8 [blocks] codes of the centred scales
 * @param shape     shape of the original tensor
 * @param code      F32 code book: [256] for 8-bit, [16] for 4-bit
 * @param blocksize elements per block
 * @param quantType NF4 or FP4 for 4-bit states; null for 8-bit code-book states
 * @param dtype     dtype of the original tensor (F32, F16 or BF16), which dequantization restores
 * @param offset    F32 [1] mean that was subtracted from absmax before nesting; null unless nested
 * @param state2    state of the quantized absmax; null unless nested
 */
public record QuantState(Tensor absmax, long[] shape, Tensor code, Blocksize blocksize, QuantType quantType,
        DType dtype, Tensor offset, QuantState state2) implements AutoCloseable {

    /**
     * @throws IllegalArgumentException if a required part is missing or offset and state2 are not both
     *                                  present or both absent
     */
    public QuantState {
        if (absmax == null || shape == null || code == null || blocksize == null || dtype == null) {
            throw new IllegalArgumentException("absmax, shape, code, blocksize and dtype are required");
        }
        if ((offset == null) != (state2 == null)) {
            throw new IllegalArgumentException("offset and state2 must both be set (nested) or both be null");
        }
        shape = shape.clone();
    }

    /** A copy of the original shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** True when absmax is itself quantized (double quantization). */
    public boolean isNested() {
        return state2 != null;
    }

    /** Number of elements of the original tensor. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Closes every tensor this state owns, the nested state included. */
    @Override
    public void close() {
        absmax.close();
        code.close();
        if (offset != null) {
            offset.close();
        }
        if (state2 != null) {
            state2.close();
        }
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "QuantState[shape=" + Arrays.toString(shape) + ", dtype=" + dtype + ", blocksize=" + blocksize.value()
                + (quantType != null ? ", quantType=" + quantType : "") + (isNested() ? ", nested" : "") + "]";
    }
}
