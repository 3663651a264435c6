package io.github.bnb4j.examples.readme;

import java.util.List;

// README four-bit
import java.util.Map;

import io.github.bnb4j.core.*;
import io.github.bnb4j.core.functional.*;

// README end

/**
 * The code of the README's 4-bit example, compiled; {@code ReadmeCodeTest} checks that the README shows exactly the
 * marked regions and {@code FourBitSnippetTest} runs it.
 */
public final class FourBitSnippet {
    private FourBitSnippet() {
    }

    /**
     * What the example computed.
     *
     * @param output        {@code input · dequant(W)ᵀ}, 4096 values
     * @param stateDictKeys the keys of the weight's quant state dict
     */
    public record Result(float[] output, List<String> stateDictKeys) {
    }

    /**
     * Quantizes a weight [4096, 1024] of {@code weight} to NF4 with nested absmax, multiplies a row of
     * {@code input} by it, and makes the weight's quant state dict.
     */
    public static Result linear(float[] weight, float[] input) {
        Result result;
        // README four-bit
        try (TensorScope scope = TensorScope.open()) {                   // closes what it made
            Tensor w = Tensor.fromFloats(weight, DType.BF16, Device.best(), 4096, 1024);   // [out, in]
            FourBitQuantized q = FourBit.quantize(w, FourBitOptions.nf4()
                    .withAbsmax(AbsmaxStorage.NESTED));                  // QLoRA's NF4, double quantization
            Tensor x = Tensor.fromFloats(input, DType.BF16, Device.best(), 1, 1024);
            Tensor y = FourBit.matmul4bit(x, q.packed(), q.state());     // x · Wᵀ, [1, 4096], bf16
            Map<String, Tensor> saved = FourBitStateDict.toStateDict(q.state(), "weight.");
            // saved: weight.absmax, weight.quant_map, ..., weight.quant_state.bitsandbytes__nf4 (upstream's keys)
        // README end
            result = new Result(y.toFloatArray(), List.copyOf(saved.keySet()));
        // README four-bit
        }
        // README end
        return result;
    }
}
