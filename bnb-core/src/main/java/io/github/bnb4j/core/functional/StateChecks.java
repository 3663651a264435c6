package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;

/** The checks both kinds of {@link QuantState} make when built; one place, so the kinds cannot drift apart. */
final class StateChecks {
    /** Dtypes a quantized tensor may have had, and that dequantization restores. */
    static final Set<DType> ORIGINAL_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private StateChecks() {
    }

    /**
     * Checks the parts every state has, and returns a copy of the shape.
     *
     * @param kind      "8-bit" or "4-bit", for messages
     * @param codeSize  entries the code book must have
     * @param allowed   block sizes the kind's kernels take
     */
    static long[] check(String kind, long[] shape, DType dtype, Blocksize blocksize, Tensor code,
            AbsmaxScales scales, int codeSize, Set<Blocksize> allowed) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(blocksize, "blocksize");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(scales, "scales");
        long[] s = shape.clone();
        long numel = Shapes.numel(s);
        if (!ORIGINAL_TYPES.contains(dtype)) {
            throw new IllegalArgumentException("dtype of the " + kind + " state must be one of " + ORIGINAL_TYPES
                    + ", got " + dtype);
        }
        blocksize.require(allowed, kind + " state");
        if (code.dtype() != DType.F32 || code.numel() != codeSize) {
            throw new IllegalArgumentException("code of the " + kind + " state must be an F32 tensor of " + codeSize
                    + " values, got " + code);
        }
        long blocks = blocksize.blocks(numel);
        if (scales.blocks() != blocks) {
            throw new IllegalArgumentException("scales of the " + kind + " state must hold " + blocks
                    + " values (ceil(" + numel + " / " + blocksize.value() + ") for shape " + Arrays.toString(s)
                    + "), got " + scales.blocks());
        }
        if (!scales.device().equals(code.device())) {
            throw new IllegalArgumentException("scales and code must be on one device, got " + scales.device()
                    + " and " + code.device());
        }
        return s;
    }
}
