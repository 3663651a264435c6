package io.github.bnb4j.core.functional;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * The state of 8-bit blockwise quantization ({@link Blockwise}): a 256-entry code book and one scale per
 * block. Upstream's {@code QuantState} with {@code quant_type=None}.
 *
 * @param shape     shape of the original tensor
 * @param dtype     F32, F16 or BF16: the original tensor's dtype, which dequantization restores
 * @param blocksize elements per block, 64 .. 4096
 * @param code      F32 [256] code book, ascending
 * @param scales    one absmax per block, {@code ceil(numel / blocksize)} of them, plain or nested
 */
public record BlockwiseState(long[] shape, DType dtype, Blocksize blocksize, Tensor code, AbsmaxScales scales)
        implements QuantState {
    /** Entries of an 8-bit code book. */
    public static final int CODE_SIZE = 256;

    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the shape is invalid, the dtype is not F32, F16 or BF16, the block
     *                                  size is not 64 .. 4096, the code is not F32 [256], the scales do not
     *                                  hold one value per block, or the tensors are on different devices
     */
    public BlockwiseState {
        shape = StateChecks.check("8-bit", shape, dtype, blocksize, code, scales, CODE_SIZE, Blocksize.EIGHT_BIT);
    }

    /** A copy of the original shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void close() {
        code.close();
        scales.close();
    }

    /** Identity: a state owns tensors, whose equality is identity. */
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
        return "BlockwiseState[shape=" + Arrays.toString(shape) + ", dtype=" + dtype + ", blocksize="
                + blocksize.value() + (isNested() ? ", nested" : "") + "]";
    }
}
