package io.github.bnb4j.nn.llama;

import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * Where a Llama's tensors come from, by their Hugging Face names ({@code model.layers.0.mlp.up_proj.weight}): a
 * checkpoint folder ({@link LlamaForCausalLM#load}), or any other source ({@link LlamaForCausalLM#fromWeights}, for
 * example random weights made on the device for a benchmark). The loader asks for one tensor at a time and closes
 * each one once its layer has taken (or quantized) it.
 */
public interface LlamaWeights {
    /**
     * The dense tensor {@code name}, which must have {@code shape}, as {@code dtype} on {@code device}; the caller
     * closes it.
     *
     * @throws IllegalArgumentException (a {@code CheckpointException} for a checkpoint) if it is missing, of another
     *                                  shape or not a floating-point tensor, naming it and the value
     */
    Tensor dense(String name, long[] shape, DType dtype, Device device);

    /**
     * The stored entries of the quantized projection {@code module} ({@code weight}, {@code SCB},
     * {@code weight.absmax}, ...: keys relative to the module, as bitsandbytes saves them), on {@code device}; an
     * empty map when the source holds the projection dense. The caller closes the tensors.
     */
    Map<String, Tensor> quantized(String module, Device device);

    /**
     * The exception for a tensor of module {@code module} that a layer refused ({@code cause} says why); a checkpoint
     * names its file.
     */
    default IllegalArgumentException refused(String module, IllegalArgumentException cause) {
        return cause;
    }
}
