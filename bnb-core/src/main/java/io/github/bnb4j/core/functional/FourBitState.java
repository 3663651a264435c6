package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * The state of 4-bit (NF4 or FP4) quantization: the 16-entry code book of the quant type and one scale per
 * block. Upstream's {@code QuantState} with {@code quant_type} set; serialized by {@link FourBitStateDict}.
 *
 * @param shape     shape of the original tensor
 * @param dtype     F32, F16 or BF16: the original tensor's dtype, which dequantization restores
 * @param blocksize elements per block, 32 .. 4096
 * @param quantType NF4 or FP4
 * @param code      F32 [16] code book of {@code quantType} (upstream {@code quant_map})
 * @param scales    one absmax per block, {@code ceil(numel / blocksize)} of them, plain or nested (upstream
 *                  nests with block size 256)
 */
public record FourBitState(long[] shape, DType dtype, Blocksize blocksize, QuantType quantType, Tensor code,
        AbsmaxScales scales) implements QuantState {
    /** Entries of a 4-bit code book. */
    public static final int CODE_SIZE = 16;

    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the shape is invalid, the dtype is not F32, F16 or BF16, the code
     *                                  is not F32 [16], the scales do not hold one value per block, or the
     *                                  tensors are on different devices
     */
    public FourBitState {
        Objects.requireNonNull(quantType, "quantType");
        shape = StateChecks.check("4-bit", shape, dtype, blocksize, code, scales, CODE_SIZE,
                EnumSet.allOf(Blocksize.class));
    }

    /** A copy of the original shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Bytes of the packed data: two elements per byte, {@code ceil(numel / 2)}. */
    public long packedBytes() {
        return (numel() + 1) / 2;
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
        return "FourBitState[shape=" + Arrays.toString(shape) + ", dtype=" + dtype + ", blocksize="
                + blocksize.value() + ", quantType=" + quantType + (isNested() ? ", nested" : "") + "]";
    }
}
