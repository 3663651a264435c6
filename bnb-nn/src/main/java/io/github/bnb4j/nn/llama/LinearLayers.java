package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.nn.Linear;
import io.github.bnb4j.nn.Linear4bit;
import io.github.bnb4j.nn.Linear8bitLt;
import io.github.bnb4j.nn.LinearLayer;
import io.github.bnb4j.nn.Module;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;

/**
 * The projections of a Llama as transformers' {@code replace_with_bnb_linear} makes them: a {@link Linear} without
 * bias in the model's dtype, or, under a quantization config that does not skip the module, a frozen
 * {@link Linear8bitLt} or a {@link Linear4bit}. Weights start at zero on the device (no host random numbers) and
 * are loaded next, the quantized ones quantized as they load.
 */
final class LinearLayers {
    private LinearLayers() {
    }

    /**
     * A projection [out, in] for the module of dotted name {@code name}.
     *
     * @param quantization the config, or null for a dense model
     * @throws IllegalArgumentException if a 4-bit config's compute dtype is not the model's dtype (bnb4j's 4-bit
     *                                  layer computes in its input's dtype)
     */
    static Module create(String name, long in, long out, DType dtype, Device device, BitsAndBytesConfig quantization) {
        if (quantization == null || quantization.skips(name)) {
            return Linear.builder(in, out).bias(false).dtype(dtype).device(device).zeroInit(true).build();
        }
        if (quantization instanceof BitsAndBytesConfig.EightBit eight) {
            return Linear8bitLt.builder(in, out).bias(false).dtype(dtype).device(device).threshold(eight.threshold())
                    .hasFp16Weights(eight.hasFp16Weights()).zeroInit(true).build();
        }
        BitsAndBytesConfig.FourBit four = (BitsAndBytesConfig.FourBit) quantization;
        if (four.computeDtype() != dtype) {
            throw new IllegalArgumentException("the 4-bit compute dtype (" + four.computeDtype() + ") must be the"
                    + " model's dtype (" + dtype + "): load the model with dtype " + four.computeDtype());
        }
        return Linear4bit.builder(in, out).bias(false).computeDtype(dtype).device(device)
                .quantType(four.quantType()).compressStatistics(four.doubleQuant())
                .blocksize(four.blocksize().value()).zeroInit(true).build();
    }

    /** Whether the layer holds its weight quantized (int8 or 4-bit), so that it loads a checkpoint's codes. */
    static boolean isQuantized(Module layer) {
        return layer instanceof Linear8bitLt || layer instanceof Linear4bit;
    }

    /** Bytes of the layer's weights as held on the device (codes and scales for quantized layers). */
    static long weightBytes(Module layer) {
        if (layer instanceof Linear8bitLt eight) {
            long w16 = eight.hasFp16Weights() ? eight.weight16().value().byteSize() : 0;
            return eight.weight().byteSize() + w16;
        }
        if (layer instanceof Linear4bit four) {
            return four.weight().byteSize();
        }
        return ((Linear) layer).weight().value().byteSize();
    }

    /** [out, in] of a projection. */
    static long[] shape(Module layer) {
        LinearLayer l = (LinearLayer) layer;
        return new long[] {l.outFeatures(), l.inFeatures()};
    }
}
