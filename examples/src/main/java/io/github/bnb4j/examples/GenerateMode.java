package io.github.bnb4j.examples;

import java.util.Arrays;
import java.util.Locale;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;
import io.github.bnb4j.nn.llama.LlamaLoadOptions;

/**
 * How {@link GenerateExample} loads a checkpoint: a dtype for dense weights and activations, and the
 * {@code BitsAndBytesConfig} of transformers' {@code load_in_8bit} / {@code load_in_4bit} ({@code lm_head} kept in
 * 16 bits, as transformers does). {@code stored} takes the checkpoint as it is (its dtype, and its own quantization
 * when it was saved pre-quantized).
 */
enum GenerateMode {
    F32(DType.F32, null),
    F16(DType.F16, null),
    BF16(DType.BF16, null),
    INT8(DType.F16, BitsAndBytesConfig.EightBit.defaults()),
    INT8_TH0(DType.F16, BitsAndBytesConfig.EightBit.defaults().withThreshold(0f)),
    NF4(DType.BF16, fourBit(QuantType.NF4, false)),
    NF4_DQ(DType.BF16, fourBit(QuantType.NF4, true)),
    FP4(DType.BF16, fourBit(QuantType.FP4, false)),
    STORED(null, null);

    private final DType dtype;
    private final BitsAndBytesConfig quantization;

    GenerateMode(DType dtype, BitsAndBytesConfig quantization) {
        this.dtype = dtype;
        this.quantization = quantization;
    }

    /** The mode of a command-line name ({@code nf4_dq}, {@code int8}, ...). */
    static GenerateMode parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mode must be one of " + Arrays.toString(names()) + ", got " + name, e);
        }
    }

    static String[] names() {
        return Arrays.stream(values()).map(m -> m.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);
    }

    LlamaLoadOptions options(Device device) {
        LlamaLoadOptions options = LlamaLoadOptions.on(device);
        if (dtype != null) {
            options = options.withDtype(dtype);
        }
        return quantization == null ? options : options.withQuantization(quantization);
    }

    private static BitsAndBytesConfig fourBit(QuantType type, boolean doubleQuant) {
        return new BitsAndBytesConfig.FourBit(type, DType.BF16, doubleQuant, Blocksize.B64,
                BitsAndBytesConfig.DEFAULT_SKIP);
    }
}
