package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;

/**
 * Options of {@link Blockwise#quantize(Tensor, BlockwiseOptions)}. Immutable; start from
 * {@link #defaults()} and refine with the {@code with...} methods.
 *
 * @param blocksize elements per absmax block (default 4096, as upstream)
 * @param code      F32 [256] ascending code book on the input's device, or null for the signed dynamic map
 * @param absmax    whether the scales are stored plainly or double-quantized
 */
public record BlockwiseOptions(Blocksize blocksize, Tensor code, AbsmaxStorage absmax) {
    /**
     * @throws NullPointerException if blocksize or absmax is null
     */
    public BlockwiseOptions {
        Objects.requireNonNull(blocksize, "blocksize");
        Objects.requireNonNull(absmax, "absmax");
    }

    /** Blocksize 4096, the signed dynamic map, plain absmax. */
    public static BlockwiseOptions defaults() {
        return new BlockwiseOptions(Blocksize.B4096, null, AbsmaxStorage.PLAIN);
    }

    /** The same options with another blocksize. */
    public BlockwiseOptions withBlocksize(Blocksize value) {
        return new BlockwiseOptions(value, code, absmax);
    }

    /** The same options with another code book (F32 [256], ascending). */
    public BlockwiseOptions withCode(Tensor value) {
        return new BlockwiseOptions(blocksize, value, absmax);
    }

    /** The same options with another absmax storage. */
    public BlockwiseOptions withAbsmax(AbsmaxStorage value) {
        return new BlockwiseOptions(blocksize, code, value);
    }
}
