package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.NativeQuant;

/**
 * Double quantization of absmax scales: {@code offset = mean(absmax)}, then {@code absmax - offset}
 * quantized blockwise with the signed dynamic map.
 *
 * @param codes  U8 codes of the centred scales
 * @param offset F32 [1] mean
 * @param state  the 8-bit state of the centred scales
 */
record Nested(Tensor codes, Tensor offset, QuantState state) {

    static Nested quantize(Tensor absmax, Blocksize blocksize) {
        Device d = absmax.device();
        Tensor offset = Tensor.empty(DType.F32, d, 1);
        Tensor centred = null;
        try {
            centred = Tensor.empty(DType.F32, d, absmax.numel());
            NativeQuant.center(absmax, centred, offset);
            Quantized q = Blockwise.quantizeWith(centred, CodeBookTensors.dynamicSigned(d), blocksize,
                    AbsmaxStorage.PLAIN);
            return new Nested(q.codes(), offset, q.state());
        } catch (RuntimeException e) {
            offset.close();
            throw e;
        } finally {
            if (centred != null) {
                centred.close();
            }
        }
    }

    /** The F32 scales of a state: its absmax, or for a nested state a new tensor the caller closes. */
    static Tensor absmaxOf(QuantState state) {
        if (!state.isNested()) {
            return state.absmax();
        }
        Tensor centred = Blockwise.dequantize(state.absmax(), state.state2());
        try {
            NativeQuant.addOffset(centred, centred, state.offset());
            return centred;
        } catch (RuntimeException e) {
            centred.close();
            throw e;
        }
    }
}
