package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeQuant;

/**
 * Double quantization of absmax scales: {@code offset = mean(absmax)}, then {@code absmax - offset}
 * quantized blockwise with the signed dynamic map; and the way back to F32 scales.
 */
final class DoubleQuantization {
    private DoubleQuantization() {
    }

    /** Nested scales for the F32 {@code absmax}, which the caller keeps and closes. */
    static AbsmaxScales.Nested quantize(Tensor absmax, Blocksize blocksize) {
        Device d = absmax.device();
        Tensor offset = Tensor.empty(DType.F32, d, 1);
        Tensor centred = null;
        try {
            centred = Tensor.empty(DType.F32, d, absmax.numel());
            try (TensorUse use = TensorUse.of(absmax, centred, offset)) {
                NativeQuant.center(absmax, centred, offset);
            }
            Quantized q = Blockwise.quantizeWith(centred, CodeBookTensors.dynamicSigned(d), blocksize,
                    AbsmaxStorage.PLAIN);
            return new AbsmaxScales.Nested(q.codes(), offset, (BlockwiseState) q.state());
        } catch (RuntimeException e) {
            offset.close();
            throw e;
        } finally {
            if (centred != null) {
                centred.close();
            }
        }
    }

    /** The F32 scales: a plain state's own tensor, or for nested scales a new tensor the caller closes. */
    static Tensor absmaxOf(AbsmaxScales scales) {
        if (scales instanceof AbsmaxScales.Plain plain) {
            return plain.absmax();
        }
        return dequantizeNested((AbsmaxScales.Nested) scales); // the only other kind of the sealed interface
    }

    private static Tensor dequantizeNested(AbsmaxScales.Nested nested) {
        Tensor centred = Blockwise.dequantize(nested.codes(), nested.state());
        try (TensorUse use = TensorUse.of(centred, nested.offset())) {
            NativeQuant.addOffset(centred, centred, nested.offset());
            return centred;
        } catch (RuntimeException e) {
            centred.close();
            throw e;
        }
    }
}
