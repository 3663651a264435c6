package io.github.bnb4j.nn.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nn.Module;
import io.github.bnb4j.nn.hf.CheckpointException;

/**
 * transformers' {@code LlamaForCausalLM}: a Llama-architecture decoder and its output layer,
 * <pre>
 *   logits [B, T, vocab] = lm_head(model(ids))          ids [B, T]
 * </pre>
 * as a tree of bnb-nn modules whose dotted names are the Hugging Face checkpoint's keys
 * ({@code model.embed_tokens}, {@code model.layers.N.self_attn.q_proj}, ..., {@code model.norm}, {@code lm_head}), so
 * {@link #stateDict()} and {@link #loadStateDict} speak a checkpoint's keys. F32, F16 or BF16 activations and dense
 * weights, on the CPU or a CUDA device; the projections dense or quantized ({@code Linear8bitLt}, {@code Linear4bit})
 * as {@link #load} is asked. Inference only.
 *
 * <p>{@link #forward(Tensor)} runs T tokens at positions 0 .. T − 1 (the logits of a prompt);
 * {@link #forward(Tensor, LlamaCache)} runs them after the positions a {@link LlamaCache} holds (prefill, then decode
 * steps of T = 1); {@link #generate} drives a whole generation. Not thread-safe.
 */
public final class LlamaForCausalLM extends InferenceModule {
    private final LlamaConfig config;
    private final DType dtype;
    private final LlamaModel model;
    private final Module lmHead;

    LlamaForCausalLM(LlamaConfig config, DType dtype, LlamaModel model, Module lmHead) {
        this.config = config;
        this.dtype = dtype;
        this.model = registerModule("model", model);
        this.lmHead = registerModule("lm_head", lmHead);
        eval();
    }

    /**
     * Loads a Hugging Face checkpoint folder ({@code config.json} and {@code model.safetensors} or a sharded index),
     * one tensor at a time from the memory map straight to the device, quantizing the projections as they load when
     * {@code options} asks for it (and taking a pre-quantized checkpoint's codes as they are).
     *
     * @throws CheckpointException if the folder has no {@code config.json}, the model is not a Llama, a tensor is
     *                             missing, extra, mis-shaped or of an unusable dtype, a shard is truncated or missing,
     *                             or the requested quantization contradicts the checkpoint's; the message names the
     *                             file, the tensor and the value. Nothing stays allocated.
     * @throws IOException         if a file cannot be read
     */
    public static LlamaForCausalLM load(Path folder, LlamaLoadOptions options) throws IOException {
        return CheckpointLoader.load(folder, options);
    }

    /**
     * A model of {@code config} whose tensors come from {@code weights} (by Hugging Face name): random weights for a
     * benchmark, or another source of a checkpoint's tensors.
     *
     * @param options device, dtype (F32 when unset) and quantization (when set)
     * @throws IllegalArgumentException if a tensor does not fit (nothing stays allocated)
     */
    public static LlamaForCausalLM fromWeights(LlamaConfig config, LlamaWeights weights, LlamaLoadOptions options) {
        Objects.requireNonNull(options, "options");
        return WeightLoader.load(config, weights, options.device(), options.dtype().orElse(DType.F32),
                options.quantization().orElse(null));
    }

    /**
     * The logits of T tokens at positions 0 .. T − 1.
     *
     * @param input I32 or I64 token ids [B, T] on the model's device, T at most {@code max_position_embeddings}
     * @return a new tensor [B, T, vocab] of the model's dtype
     * @throws IllegalArgumentException if the ids do not fit (the message names the value)
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        try (Tensor hidden = model.forward(input)) {
            return lmHead.forward(hidden);
        }
    }

    /**
     * The logits of T tokens following the positions {@code cache} holds; appends their keys and values to it.
     *
     * @param ids   I32 or I64 [B, T] on the model's device, B the cache's batch
     * @param cache from {@link #newCache}
     * @return a new tensor [B, T, vocab] of the model's dtype
     * @throws IllegalArgumentException if the ids do not fit or T more positions do not fit in the cache
     * @throws IllegalStateException    if the model or the cache is closed
     */
    public Tensor forward(Tensor ids, LlamaCache cache) {
        requireOpen();
        try (Tensor hidden = model.forward(ids, cache)) {
            return lmHead.forward(hidden);
        }
    }

    /**
     * An empty cache for {@code batch} rows of up to {@code maxPositions} positions, on the model's device.
     *
     * @throws IllegalArgumentException if batch &lt; 1, or maxPositions is not in [1, max_position_embeddings]
     */
    public LlamaCache newCache(int batch, long maxPositions) {
        requireOpen();
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (maxPositions < 1 || maxPositions > config.maxPositions()) {
            throw new IllegalArgumentException("maxPositions must be in [1, max_position_embeddings = "
                    + config.maxPositions() + "], got " + maxPositions);
        }
        return LlamaCache.create(config, batch, maxPositions, dtype, device());
    }

    /**
     * Generates {@code options.newTokens()} tokens after each row of {@code prompt}: a prefill of the prompt, then
     * one decode step per token against a cache, each token chosen by {@code options.sampling()} and handed to
     * {@code listener} as soon as it is known. A greedy step stays on the device except for reading the chosen token
     * (one 8-byte copy per row); sampling copies the row of logits to the host.
     *
     * @param prompt   B rows of the same length T &gt;= 1, ids in [0, vocab)
     * @param listener called after each step with its index and the B new tokens
     * @return the new tokens, [B][newTokens]
     * @throws IllegalArgumentException if the rows are empty or of different lengths, an id is out of range, or T
     *                                  plus the new tokens exceed {@code max_position_embeddings} (naming the values)
     */
    public long[][] generate(long[][] prompt, GenerationOptions options, TokenListener listener) {
        requireOpen();
        return Generator.generate(this, prompt, options, listener);
    }

    /** The configuration. */
    public LlamaConfig config() {
        return config;
    }

    /** The dtype of activations, logits and dense weights. */
    public DType dtype() {
        return dtype;
    }

    /** The device of every tensor. */
    public Device device() {
        return model.norm().weight().value().device();
    }

    /** The decoder. */
    public LlamaModel model() {
        return model;
    }

    /** The output layer ({@code lm_head}): a {@code Linear}, or a quantized layer when the config did not skip it. */
    public Module lmHead() {
        return lmHead;
    }

    /** Bytes of every weight as held on the device: dense tensors, and codes with their scales for quantized ones. */
    public long weightBytes() {
        requireOpen();
        return WeightLoader.bytes(this);
    }
}
