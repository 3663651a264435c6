package io.github.bnb4j.nn.llama;

import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nn.hf.CheckpointException;
import io.github.bnb4j.nn.hf.HfCheckpoint;

/**
 * The tensors of an open {@link HfCheckpoint}: dense ones checked against their shape and converted to the model's
 * dtype as they are read; a pre-quantized projection's entries (an I8 or U8 {@code weight} and the statistics beside
 * it) read as stored. Errors name the file, the tensor and the value.
 */
final class CheckpointWeights implements LlamaWeights {
    private final HfCheckpoint ckpt;
    private final boolean prequantized;

    CheckpointWeights(HfCheckpoint ckpt, boolean prequantized) {
        this.ckpt = ckpt;
        this.prequantized = prequantized;
    }

    @Override
    public Tensor dense(String name, long[] shape, DType dtype, Device device) {
        ckpt.requireShape(name, shape);
        return ckpt.read(name, device, dtype);
    }

    @Override
    public Map<String, Tensor> quantized(String module, Device device) {
        String weight = module + ".weight";
        if (!prequantized || !ckpt.contains(weight) || !isCodes(ckpt.info(weight).dtype())) {
            return Map.of();
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        try {
            for (String name : ckpt.tensorNames()) {
                if (name.startsWith(module + ".")) {
                    out.put(name.substring(module.length() + 1), ckpt.read(name, device));
                }
            }
            return out;
        } catch (RuntimeException e) {
            out.values().forEach(Tensor::close);
            throw e;
        }
    }

    /** I8 (LLM.int8() codes) or U8 (packed 4-bit codes). */
    private static boolean isCodes(DType stored) {
        return stored == DType.I8 || stored == DType.U8;
    }

    @Override
    public IllegalArgumentException refused(String module, IllegalArgumentException cause) {
        String weight = module + ".weight";
        return new CheckpointException(ckpt.contains(weight) ? ckpt.fileOf(weight) : ckpt.folder(), "the tensors of '"
                + module + "' do not load: " + cause.getMessage(), cause);
    }
}
