package io.github.bnb4j.nn.llama;

import java.util.Objects;
import java.util.Optional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;

/**
 * How {@link LlamaForCausalLM#load} builds a model (transformers' {@code from_pretrained(device_map=, dtype=,
 * quantization_config=)}).
 *
 * @param device       where every tensor goes
 * @param dtype        F32, F16 or BF16 for activations and dense weights (checkpoint floats are converted as they
 *                     are read); unset: the checkpoint's {@code dtype} ({@code torch_dtype}), else F32
 * @param quantization the projections' quantization; unset: dense, or the checkpoint's own when it is pre-quantized
 */
public record LlamaLoadOptions(Device device, Optional<DType> dtype, Optional<BitsAndBytesConfig> quantization) {
    /** @throws IllegalArgumentException if dtype is set and not F32, F16 or BF16 */
    public LlamaLoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(quantization, "quantization");
        dtype.ifPresent(t -> {
            if (t != DType.F32 && t != DType.F16 && t != DType.BF16) {
                throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + t);
            }
        });
    }

    /** On {@code device}, the checkpoint's dtype, no quantization beyond the checkpoint's own. */
    public static LlamaLoadOptions on(Device device) {
        return new LlamaLoadOptions(device, Optional.empty(), Optional.empty());
    }

    /** These options with {@code value} as the dtype. @throws IllegalArgumentException unless F32, F16 or BF16 */
    public LlamaLoadOptions withDtype(DType value) {
        return new LlamaLoadOptions(device, Optional.of(value), quantization);
    }

    /** These options quantizing the projections as {@code value} says. */
    public LlamaLoadOptions withQuantization(BitsAndBytesConfig value) {
        return new LlamaLoadOptions(device, dtype, Optional.of(value));
    }
}
