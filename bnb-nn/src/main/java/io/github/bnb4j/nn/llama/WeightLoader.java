package io.github.bnb4j.nn.llama;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.AttentionHeads;
import io.github.bnb4j.nn.Module;
import io.github.bnb4j.nn.Sequential;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;

/**
 * Builds a {@link LlamaForCausalLM} with empty weights on the device and loads every weight from a
 * {@link LlamaWeights}, one tensor at a time: each is read, handed to its layer (which copies it, quantizes it, or
 * takes a checkpoint's codes) and closed before the next is read, so the memory beyond the model is one tensor. On
 * any failure everything built is closed before the exception leaves.
 */
final class WeightLoader {
    private WeightLoader() {
    }

    static LlamaForCausalLM load(LlamaConfig config, LlamaWeights weights, Device device, DType dtype,
                                 BitsAndBytesConfig quantization) {
        return load(config, weights, device, dtype, quantization, m -> { });
    }

    /** {@link #load}, telling {@code built} the model before its weights load (tests check it is closed on error). */
    static LlamaForCausalLM load(LlamaConfig config, LlamaWeights weights, Device device, DType dtype,
                                 BitsAndBytesConfig quantization, Consumer<LlamaForCausalLM> built) {
        LlamaForCausalLM model = build(config, dtype, device, quantization);
        try {
            built.accept(model);
            for (Map.Entry<String, Module> leaf : leaves(model).entrySet()) {
                loadLeaf(leaf.getKey(), leaf.getValue(), config, weights, dtype, device);
            }
            return model;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static void loadLeaf(String name, Module layer, LlamaConfig config, LlamaWeights weights, DType dtype,
                                 Device device) {
        if (LinearLayers.isQuantized(layer)) {
            Map<String, Tensor> stored = weights.quantized(name, device);
            if (!stored.isEmpty()) {
                try {
                    layer.loadStateDict(stored);
                    return;
                } catch (IllegalArgumentException e) {
                    throw weights.refused(name, e);
                } finally {
                    stored.values().forEach(Tensor::close);
                }
            }
        }
        String source = name.equals("lm_head") && config.tieWordEmbeddings() ? "model.embed_tokens" : name;
        try (Tensor w = weights.dense(source + ".weight", shape(layer), dtype, device)) {
            try {
                layer.loadStateDict(Map.of("weight", w));
            } catch (IllegalArgumentException e) {
                throw weights.refused(name, e);
            }
        }
    }

    /** The dense shape of a leaf's weight. */
    private static long[] shape(Module leaf) {
        if (leaf instanceof LlamaRmsNorm norm) {
            return norm.weight().value().shape();
        }
        if (leaf instanceof TokenEmbedding embedding) {
            return embedding.weight().value().shape();
        }
        return LinearLayers.shape(leaf);
    }

    /** The modules without children, by dotted name, in registration order: the ones holding weights. */
    static Map<String, Module> leaves(Module root) {
        Map<String, Module> out = new LinkedHashMap<>();
        collectLeaves(root, out);
        return out;
    }

    private static void collectLeaves(Module m, Map<String, Module> out) {
        Map<String, Module> children = m.children();
        if (children.isEmpty()) {
            out.put(m.path(), m);
        }
        children.values().forEach(c -> collectLeaves(c, out));
    }

    /** Bytes of the weights below {@code root} as held on the device. */
    static long bytes(Module root) {
        long total = 0;
        for (Module leaf : leaves(root).values()) {
            if (leaf instanceof LlamaRmsNorm || leaf instanceof TokenEmbedding) {
                total += leaf.parameters().stream().mapToLong(p -> p.value().byteSize()).sum();
            } else {
                total += LinearLayers.weightBytes(leaf);
            }
        }
        return total;
    }

    /** The module tree with zero weights; nothing stays allocated if a layer cannot be made. */
    static LlamaForCausalLM build(LlamaConfig c, DType dtype, Device device, BitsAndBytesConfig quantization) {
        List<Module> made = new ArrayList<>();
        try {
            TokenEmbedding embed = track(made, new TokenEmbedding(c.vocabSize(), c.hidden(), dtype, device));
            Module[] layers = new Module[c.layers()];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = decoderLayer(c, i, dtype, device, quantization, made);
            }
            LlamaRmsNorm norm = track(made, new LlamaRmsNorm(c.hidden(), c.rmsNormEps(), dtype, device));
            Module lmHead = track(made, LinearLayers.create("lm_head", c.hidden(), c.vocabSize(), dtype, device,
                    quantization));
            return new LlamaForCausalLM(c, dtype, new LlamaModel(c, embed, new Sequential(layers), norm), lmHead);
        } catch (RuntimeException e) {
            made.forEach(Module::close);
            throw e;
        }
    }

    private static LlamaDecoderLayer decoderLayer(LlamaConfig c, int i, DType dtype, Device device,
                                                  BitsAndBytesConfig q, List<Module> made) {
        String p = "model.layers." + i + ".";
        long h = c.hidden();
        Module qProj = track(made, LinearLayers.create(p + "self_attn.q_proj", h, c.queryWidth(), dtype, device, q));
        Module kProj = track(made, LinearLayers.create(p + "self_attn.k_proj", h, c.kvWidth(), dtype, device, q));
        Module vProj = track(made, LinearLayers.create(p + "self_attn.v_proj", h, c.kvWidth(), dtype, device, q));
        Module oProj = track(made, LinearLayers.create(p + "self_attn.o_proj", c.queryWidth(), h, dtype, device, q));
        Module gate = track(made, LinearLayers.create(p + "mlp.gate_proj", h, c.intermediate(), dtype, device, q));
        Module up = track(made, LinearLayers.create(p + "mlp.up_proj", h, c.intermediate(), dtype, device, q));
        Module down = track(made, LinearLayers.create(p + "mlp.down_proj", c.intermediate(), h, dtype, device, q));
        LlamaRmsNorm inputNorm = track(made, new LlamaRmsNorm(h, c.rmsNormEps(), dtype, device));
        LlamaRmsNorm postNorm = track(made, new LlamaRmsNorm(h, c.rmsNormEps(), dtype, device));
        AttentionHeads heads = LlamaCache.heads(c);
        return new LlamaDecoderLayer(new LlamaAttention(i, heads, c.ropeTheta(), qProj, kProj, vProj, oProj),
                new LlamaMlp(gate, up, down), inputNorm, postNorm);
    }

    private static <M extends Module> M track(List<Module> made, M module) {
        made.add(module);
        return module;
    }
}
