package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * The per-block scales of a {@link QuantState}: one absmax per block, stored {@link Plain plainly} (F32) or
 * {@link Nested double-quantized} (upstream {@code nested=True} / {@code compress_statistics=True}).
 * Immutable; owns its tensors.
 */
public sealed interface AbsmaxScales extends AutoCloseable permits AbsmaxScales.Plain, AbsmaxScales.Nested {
    /** Number of scales, one per block. */
    long blocks();

    /** The device of the scales' tensors. */
    Device device();

    /** Bytes of the scales' tensors. */
    long byteSize();

    /** Closes the scales' tensors. */
    @Override
    void close();

    /**
     * One F32 absmax per block.
     *
     * @param absmax F32 [blocks]
     */
    record Plain(Tensor absmax) implements AbsmaxScales {
        /**
         * @throws NullPointerException     if {@code absmax} is null
         * @throws IllegalArgumentException if {@code absmax} is not F32
         */
        public Plain {
            Objects.requireNonNull(absmax, "absmax");
            if (absmax.dtype() != DType.F32) {
                throw new IllegalArgumentException("absmax of plain scales must be F32, got " + absmax
                        + " (U8 absmax codes belong in Nested scales)");
            }
        }

        @Override
        public long blocks() {
            return absmax.numel();
        }

        @Override
        public Device device() {
            return absmax.device();
        }

        @Override
        public long byteSize() {
            return absmax.byteSize();
        }

        @Override
        public void close() {
            absmax.close();
        }
    }

    /**
     * Double-quantized scales: {@code absmax[b] = dequantize(codes, state)[b] + offset}, where the centred
     * scales {@code absmax - mean(absmax)} were quantized blockwise to 8 bits with the signed dynamic map.
     *
     * @param codes  U8 [blocks] codes of the centred scales
     * @param offset F32 [1] mean that was subtracted (upstream {@code offset}, {@code nested_offset})
     * @param state  the plain 8-bit F32 state of the centred scales (upstream {@code state2}); its element
     *               count is the number of blocks
     */
    record Nested(Tensor codes, Tensor offset, BlockwiseState state) implements AbsmaxScales {
        /**
         * @throws NullPointerException     if an argument is null
         * @throws IllegalArgumentException if codes are not U8 with one element per scale of {@code state}'s
         *                                  shape, offset is not F32 with one element, the state is nested
         *                                  itself or not F32, or the tensors are on different devices
         */
        public Nested {
            Objects.requireNonNull(codes, "codes");
            Objects.requireNonNull(offset, "offset");
            Objects.requireNonNull(state, "state");
            if (codes.dtype() != DType.U8 || codes.numel() != state.numel()) {
                throw new IllegalArgumentException("codes of nested scales must be U8 with " + state.numel()
                        + " elements (the nested state's element count), got " + codes);
            }
            if (offset.dtype() != DType.F32 || offset.numel() != 1) {
                throw new IllegalArgumentException("offset must be an F32 tensor of one element, got " + offset);
            }
            if (state.isNested() || state.dtype() != DType.F32) {
                throw new IllegalArgumentException("state of nested scales must be a plain F32 state, got "
                        + state);
            }
            if (!codes.device().equals(state.device()) || !offset.device().equals(state.device())) {
                throw new IllegalArgumentException("codes, offset and state must be on one device, got "
                        + codes.device() + ", " + offset.device() + " and " + state.device());
            }
        }

        @Override
        public long blocks() {
            return codes.numel();
        }

        @Override
        public Device device() {
            return codes.device();
        }

        @Override
        public long byteSize() {
            return codes.byteSize() + offset.byteSize() + state.byteSize();
        }

        @Override
        public void close() {
            codes.close();
            offset.close();
            state.close();
        }
    }
}
