package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.NativeFourBit;

/**
 * The scales of a {@link FourBitState} as the 4-bit kernels read them. Nested scales in blocks of 256 (what
 * {@link FourBit#quantize} and upstream make) go to the kernels as they are, which undo them inside; nested
 * scales with another nested blocksize (possible in a state dict) are first dequantized to a temporary F32 absmax
 * that {@link #close()} frees.
 */
final class KernelScales implements AutoCloseable {
    private final NativeFourBit.Scales scales;
    private final Tensor rebuilt;

    private KernelScales(NativeFourBit.Scales scales, Tensor rebuilt) {
        this.scales = scales;
        this.rebuilt = rebuilt;
    }

    static KernelScales of(FourBitState state) {
        AbsmaxScales s = state.scales();
        if (s instanceof AbsmaxScales.Plain plain) {
            return new KernelScales(new NativeFourBit.Scales.Plain(plain.absmax()), null);
        }
        AbsmaxScales.Nested nested = (AbsmaxScales.Nested) s; // the only other kind of the sealed interface
        BlockwiseState inner = nested.state();
        if (inner.blocksize().value() == NativeFourBit.NESTED_BLOCKSIZE) {
            // a nested state's own scales are plain (AbsmaxScales.Nested checks it)
            Tensor absmax2 = ((AbsmaxScales.Plain) inner.scales()).absmax();
            return new KernelScales(new NativeFourBit.Scales.Nested(nested.codes(), inner.code(), absmax2,
                    nested.offset()), null);
        }
        Tensor absmax = DoubleQuantization.absmaxOf(nested);
        return new KernelScales(new NativeFourBit.Scales.Plain(absmax), absmax);
    }

    /** The scales to pass to {@link NativeFourBit}. */
    NativeFourBit.Scales scales() {
        return scales;
    }

    /** Every tensor the kernels read, for a {@link io.github.bnb4j.core.TensorUse}. */
    Tensor[] tensors() {
        return scales.tensors();
    }

    /** Frees the rebuilt absmax, if one was made. */
    @Override
    public void close() {
        if (rebuilt != null) {
            rebuilt.close();
        }
    }
}
