package io.github.bnb4j.nn.llama;

import java.util.List;
import java.util.Objects;

import io.github.bnb4j.nn.hf.CheckpointException;
import io.github.bnb4j.nn.hf.ConfigJson;

/**
 * The shape of a Llama-architecture decoder, from a Hugging Face {@code config.json} ({@code LlamaConfig}; Mistral
 * checkpoints without sliding windows share it).
 *
 * @param vocabSize             tokens of the embedding and of {@code lm_head}
 * @param hidden                model width H
 * @param intermediate          width of the SwiGLU MLP
 * @param layers                decoder layers
 * @param heads                 query heads Hq
 * @param kvHeads               key/value heads Hkv (grouped-query attention: Hq is a multiple of Hkv)
 * @param headDim               width D of one head (H / Hq unless the config says otherwise)
 * @param rmsNormEps            epsilon of every RMSNorm
 * @param ropeTheta             base of the rotary position embedding
 * @param maxPositions          longest sequence (prompt plus generated tokens)
 * @param tieWordEmbeddings     whether {@code lm_head} shares the embedding's weight
 */
public record LlamaConfig(int vocabSize, int hidden, int intermediate, int layers, int heads, int kvHeads, int headDim,
                          double rmsNormEps, double ropeTheta, int maxPositions, boolean tieWordEmbeddings) {
    private static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM");
    private static final List<String> MODEL_TYPES = List.of("llama", "mistral");

    /** @throws IllegalArgumentException if a size is not positive, or the heads do not divide as described */
    public LlamaConfig {
        requirePositive("vocabSize", vocabSize);
        requirePositive("hidden", hidden);
        requirePositive("intermediate", intermediate);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("kvHeads", kvHeads);
        requirePositive("headDim", headDim);
        requirePositive("maxPositions", maxPositions);
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kvHeads (" + kvHeads + ")");
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be even (rotary pairs), got " + headDim);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException("rmsNormEps and ropeTheta must be > 0, got " + rmsNormEps + " and "
                    + ropeTheta);
        }
    }

    /**
     * Reads a {@code config.json}: transformers' keys and defaults ({@code num_key_value_heads} = heads,
     * {@code head_dim} = hidden / heads, {@code rope_theta} 10000 at the top level or, as transformers 5 writes it,
     * under {@code rope_parameters}).
     *
     * @throws CheckpointException if the architecture is not Llama's, a key is missing or of the wrong type, a value
     *                             is out of range, or the RoPE scaling is not the default one
     */
    public static LlamaConfig from(ConfigJson json) {
        Objects.requireNonNull(json, "json");
        String type = json.stringOr("model_type", "");
        List<String> architectures = json.stringsOr("architectures");
        if (!MODEL_TYPES.contains(type) || !architectures.isEmpty() && architectures.stream()
                .noneMatch(ARCHITECTURES::contains)) {
            throw json.invalid("model_type", "\"" + type + "\" with architectures " + architectures
                    + " is not a Llama-architecture model (model_type llama or mistral, " + ARCHITECTURES + ")");
        }
        if (json.has("sliding_window")) {
            throw json.invalid("sliding_window", "sliding-window attention is not supported");
        }
        int heads = json.requireInt("num_attention_heads");
        int hidden = json.requireInt("hidden_size");
        double theta = json.doubleOr("rope_theta", 10000.0);
        ConfigJson rope = json.object("rope_parameters").or(() -> json.object("rope_scaling")).orElse(null);
        if (rope != null) {
            String ropeType = rope.stringOr("rope_type", rope.stringOr("type", "default"));
            if (!ropeType.equals("default")) {
                throw rope.invalid("rope_type", "\"" + ropeType + "\" scaling is not supported, only \"default\"");
            }
            theta = rope.doubleOr("rope_theta", theta);
        }
        if (json.booleanOr("attention_bias", false) || json.booleanOr("mlp_bias", false)) {
            throw json.invalid("attention_bias", "biases in attention or MLP projections are not supported");
        }
        String act = json.stringOr("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw json.invalid("hidden_act", "\"" + act + "\" is not supported, only \"silu\"");
        }
        try {
            return new LlamaConfig(json.requireInt("vocab_size"), hidden, json.requireInt("intermediate_size"),
                    json.requireInt("num_hidden_layers"), heads, json.intOr("num_key_value_heads", heads),
                    json.intOr("head_dim", heads > 0 ? hidden / heads : 0), json.doubleOr("rms_norm_eps", 1e-6),
                    theta, json.intOr("max_position_embeddings", 2048),
                    json.booleanOr("tie_word_embeddings", false));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(json.file(), e.getMessage(), e);
        }
    }

    /** The query width Hq · D. */
    public int queryWidth() {
        return heads * headDim;
    }

    /** The key/value width Hkv · D. */
    public int kvWidth() {
        return kvHeads * headDim;
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + value);
        }
    }
}
