package io.github.bnb4j.examples.readme;

// README quantize
import io.github.bnb4j.core.*;
import io.github.bnb4j.core.functional.*;

// README end

/**
 * The code of the README's blockwise quantization example, compiled; {@code ReadmeCodeTest} runs it and checks
 * that the README shows exactly the marked regions.
 */
public final class QuantizeSnippet {
    private QuantizeSnippet() {
    }

    /**
     * Quantizes a 1024 x 4096 tensor of {@code values} to 8 bits with nested absmax and dequantizes it.
     *
     * @return the values after the round trip
     */
    public static float[] roundTrip(float[] values) {
        float[] result;
        // README quantize
        try (TensorScope scope = TensorScope.open()) {                 // closes what it made
            Tensor w = Tensor.fromFloats(values, DType.BF16, Device.best(), 1024, 4096);
            Quantized q = Blockwise.quantize(w, BlockwiseOptions.defaults()
                    .withBlocksize(Blocksize.B256)
                    .withAbsmax(AbsmaxStorage.NESTED));                // double quantization of the scales
            Tensor back = Blockwise.dequantize(q.codes(), q.state());  // bf16 again, same shape
        // README end
            result = back.toFloatArray();
        // README quantize
        }
        // README end
        return result;
    }
}
