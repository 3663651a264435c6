package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * Options of {@link FourBit#quantize(Tensor, FourBitOptions)}. Immutable; start from {@link #defaults()} (upstream
 * {@code quantize_4bit}'s defaults) or {@link #nf4()} and refine with the {@code with...} methods.
 *
 * @param quantType NF4 or FP4
 * @param blocksize values per absmax block, any of 32 .. 4096 (upstream's default 64)
 * @param absmax    {@link AbsmaxStorage#PLAIN} F32 scales, or {@link AbsmaxStorage#NESTED}: upstream's
 *                  {@code compress_statistics=True}, the scales minus their mean quantized to 8 bits in blocks of
 *                  256 with the signed dynamic map
 */
public record FourBitOptions(QuantType quantType, Blocksize blocksize, AbsmaxStorage absmax) {
    /** @throws NullPointerException if an argument is null */
    public FourBitOptions {
        Objects.requireNonNull(quantType, "quantType");
        Objects.requireNonNull(blocksize, "blocksize");
        Objects.requireNonNull(absmax, "absmax");
    }

    /** Upstream's defaults: FP4, blocksize 64, plain absmax. */
    public static FourBitOptions defaults() {
        return new FourBitOptions(QuantType.FP4, Blocksize.B64, AbsmaxStorage.PLAIN);
    }

    /** NF4 (QLoRA's type), blocksize 64, plain absmax. */
    public static FourBitOptions nf4() {
        return new FourBitOptions(QuantType.NF4, Blocksize.B64, AbsmaxStorage.PLAIN);
    }

    /** The same options with another quant type. */
    public FourBitOptions withQuantType(QuantType value) {
        return new FourBitOptions(value, blocksize, absmax);
    }

    /** The same options with another blocksize. */
    public FourBitOptions withBlocksize(Blocksize value) {
        return new FourBitOptions(quantType, value, absmax);
    }

    /** The same options with another absmax storage. */
    public FourBitOptions withAbsmax(AbsmaxStorage value) {
        return new FourBitOptions(quantType, blocksize, value);
    }
}
