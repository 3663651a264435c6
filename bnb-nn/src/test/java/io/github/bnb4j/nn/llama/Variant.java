package io.github.bnb4j.nn.llama;

import java.util.Optional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;

/**
 * The variants of the reference outputs: how transformers loaded the model (dtype, {@code BitsAndBytesConfig}) and
 * the largest difference of our logits from its logits we accept, in logit units (the logits have a standard
 * deviation of about 0.3). Each bound is about twice the error measured on the CPU (fp32 3.7e-6, bf16 0.021,
 * int8_th6 0.036, int8_th0 0.089, nf4 0.021, nf4_dq 0.031, fp4 0.018), and is justified from the dtype in
 * {@link LlamaConformance}'s comment.
 */
enum Variant {
    FP32("fp32", DType.F32, null, 2e-5),
    BF16("bf16", DType.BF16, null, 0.06),
    INT8_TH6("int8_th6", DType.F16, new BitsAndBytesConfig.EightBit(6f, false, BitsAndBytesConfig.DEFAULT_SKIP), 0.08),
    INT8_TH0("int8_th0", DType.F16, new BitsAndBytesConfig.EightBit(0f, false, BitsAndBytesConfig.DEFAULT_SKIP), 0.15),
    NF4("nf4", DType.BF16, fourBit(QuantType.NF4, false), 0.06),
    NF4_DQ("nf4_dq", DType.BF16, fourBit(QuantType.NF4, true), 0.06),
    FP4("fp4", DType.BF16, fourBit(QuantType.FP4, false), 0.06);

    final String key;
    final DType dtype;
    final BitsAndBytesConfig quantization;
    final double tolerance;

    Variant(String key, DType dtype, BitsAndBytesConfig quantization, double tolerance) {
        this.key = key;
        this.dtype = dtype;
        this.quantization = quantization;
        this.tolerance = tolerance;
    }

    Optional<BitsAndBytesConfig> quantization() {
        return Optional.ofNullable(quantization);
    }

    private static BitsAndBytesConfig fourBit(QuantType type, boolean doubleQuant) {
        return new BitsAndBytesConfig.FourBit(type, DType.BF16, doubleQuant, Blocksize.B64,
                BitsAndBytesConfig.DEFAULT_SKIP);
    }
}
