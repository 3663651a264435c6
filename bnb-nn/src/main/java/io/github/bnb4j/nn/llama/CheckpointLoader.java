package io.github.bnb4j.nn.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.nn.Module;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;
import io.github.bnb4j.nn.hf.CheckpointException;
import io.github.bnb4j.nn.hf.ConfigJson;
import io.github.bnb4j.nn.hf.HfCheckpoint;

/**
 * {@link LlamaForCausalLM#load}: a Hugging Face folder through {@link HfCheckpoint}. The quantization is the
 * requested one, or the checkpoint's own when it was saved pre-quantized (a request must then agree with it on the
 * storage); the dtype the requested one, else the checkpoint's. Every tensor of the checkpoint must belong to a
 * layer of the model (checked after the empty model is built, before any weight is read); a pre-quantized
 * projection loads its stored codes as they are.
 */
final class CheckpointLoader {
    /** Tensors transformers ignores when it loads a Llama (older checkpoints saved the RoPE table). */
    private static final String IGNORED_SUFFIX = ".rotary_emb.inv_freq";

    private CheckpointLoader() {
    }

    static LlamaForCausalLM load(Path folder, LlamaLoadOptions options) throws IOException {
        return load(folder, options, m -> { });
    }

    /** {@link #load}, telling {@code built} the empty model first (tests check it is closed when loading fails). */
    static LlamaForCausalLM load(Path folder, LlamaLoadOptions options, Consumer<LlamaForCausalLM> built)
            throws IOException {
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            ConfigJson json = ckpt.config();
            LlamaConfig config = LlamaConfig.from(json);
            Optional<BitsAndBytesConfig> stored = ckpt.quantizationConfig();
            BitsAndBytesConfig quantization = options.quantization().orElse(stored.orElse(null));
            if (stored.isPresent() && options.quantization().isPresent()) {
                options.quantization().get().requireCompatibleWith(stored.get(), json.file());
            }
            DType dtype = options.dtype().orElseGet(() -> checkpointDtype(json));
            CheckpointWeights weights = new CheckpointWeights(ckpt, stored.isPresent());
            return WeightLoader.load(config, weights, options.device(), dtype, quantization, model -> {
                built.accept(model);
                requireOnlyModelTensors(ckpt, model, config, stored.isPresent());
            });
        }
    }

    /** transformers 5 writes {@code dtype}, earlier versions {@code torch_dtype}; neither: F32. */
    private static DType checkpointDtype(ConfigJson json) {
        String key = json.has("dtype") ? "dtype" : "torch_dtype";
        return BitsAndBytesConfig.torchDtype(json, key, DType.F32);
    }

    private static void requireOnlyModelTensors(HfCheckpoint ckpt, LlamaForCausalLM model, LlamaConfig config,
                                                boolean prequantized) {
        Map<String, Module> leaves = WeightLoader.leaves(model);
        for (String name : ckpt.tensorNames()) {
            if (name.endsWith(IGNORED_SUFFIX) || name.equals("lm_head.weight") && config.tieWordEmbeddings()) {
                continue;
            }
            int dot = name.lastIndexOf('.');
            String module = dot < 0 ? "" : name.substring(0, dot);
            if (leaves.containsKey(module) && name.endsWith(".weight")) {
                continue;
            }
            if (prequantized && leaves.keySet().stream().anyMatch(m -> name.startsWith(m + ".")
                    && LinearLayers.isQuantized(leaves.get(m)))) {
                continue;
            }
            throw new CheckpointException(ckpt.fileOf(name), "tensor '" + name + "' is not a weight of this Llama ("
                    + config.layers() + " layers" + (prequantized ? ", pre-quantized" : "") + ")");
        }
    }
}
