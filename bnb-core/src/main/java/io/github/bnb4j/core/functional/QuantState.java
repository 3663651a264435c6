package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;

/**
 * Everything needed to dequantize a blockwise-quantized tensor (upstream {@code QuantState}), in one of two
 * kinds: {@link BlockwiseState} (8-bit codes with a 256-entry code book) and {@link FourBitState} (NF4 or
 * FP4 nibbles with a 16-entry code book). Either kind keeps its per-block scales
 * {@linkplain AbsmaxScales.Plain plainly} or {@linkplain AbsmaxScales.Nested double-quantized}.
 *
 * <p>States are immutable and validated when built: every length, dtype, block size and device is checked
 * against the others in Java, so no state that can be constructed makes a kernel read out of bounds. A
 * state owns its tensors; {@link #close()} releases them.
 */
public sealed interface QuantState extends AutoCloseable permits BlockwiseState, FourBitState {
    /** A copy of the shape of the original tensor. */
    long[] shape();

    /** Dtype of the original tensor (F32, F16 or BF16), which dequantization restores. */
    DType dtype();

    /** Elements per block. */
    Blocksize blocksize();

    /** F32 code book: [256] for 8-bit states, [16] for 4-bit states. */
    Tensor code();

    /** The per-block scales. */
    AbsmaxScales scales();

    /** Number of elements of the original tensor. */
    default long numel() {
        return Shapes.numel(shape());
    }

    /** Number of blocks, {@code ceil(numel / blocksize)}, which is the number of scales. */
    default long blocks() {
        return blocksize().blocks(numel());
    }

    /** True when the scales are double-quantized. */
    default boolean isNested() {
        return scales() instanceof AbsmaxScales.Nested;
    }

    /** The device of every tensor of the state. */
    default Device device() {
        return code().device();
    }

    /** Bytes of all tensors of the state (code book and scales, nested state included). */
    default long byteSize() {
        return code().byteSize() + scales().byteSize();
    }

    /** Closes every tensor this state owns, the nested state included. */
    @Override
    void close();
}
