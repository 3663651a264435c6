package io.github.bnb4j.nn.llama;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Elementwise;
import io.github.bnb4j.core.functional.transformer.KvCache;
import io.github.bnb4j.core.functional.transformer.RotaryEmbedding;

/**
 * transformers' {@code LlamaDecoderLayer}: pre-norm attention and MLP, each added to the residual stream (one
 * rounding of the f32 sum to the dtype, as torch's add):
 * <pre>
 *   h   = x + self_attn(input_layernorm(x))
 *   out = h + mlp(post_attention_layernorm(h))
 * </pre>
 * Children (transformers' order): {@code self_attn}, {@code mlp}, {@code input_layernorm},
 * {@code post_attention_layernorm}.
 */
public final class LlamaDecoderLayer extends InferenceModule {
    private final LlamaAttention selfAttn;
    private final LlamaMlp mlp;
    private final LlamaRmsNorm inputNorm;
    private final LlamaRmsNorm postNorm;

    LlamaDecoderLayer(LlamaAttention selfAttn, LlamaMlp mlp, LlamaRmsNorm inputNorm, LlamaRmsNorm postNorm) {
        this.selfAttn = registerModule("self_attn", selfAttn);
        this.mlp = registerModule("mlp", mlp);
        this.inputNorm = registerModule("input_layernorm", inputNorm);
        this.postNorm = registerModule("post_attention_layernorm", postNorm);
    }

    /**
     * The layer on T tokens at positions 0 .. T − 1, without a cache.
     *
     * @param input [B, T, hidden] of the model's dtype, on its device
     * @return a new tensor [B, T, hidden]
     * @throws IllegalArgumentException if the input does not fit
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        try (RotaryEmbedding rope = selfAttn.rope(input.device())) {
            return run(input, rope, null);
        }
    }

    /**
     * The layer on T tokens following the cache's positions (see {@link LlamaAttention#forward(Tensor, LlamaCache)}).
     *
     * @param x [B, T, hidden] of the model's dtype, on its device
     * @return a new tensor [B, T, hidden]
     * @throws IllegalArgumentException if x does not fit or the cache is full
     * @throws IllegalStateException    if the module or the cache is closed
     */
    public Tensor forward(Tensor x, LlamaCache cache) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(cache, "cache");
        requireOpen();
        return run(x, cache.rope(), cache.kv());
    }

    /** The layer with {@code rope}, over {@code cache} when it is not null. */
    Tensor run(Tensor x, RotaryEmbedding rope, KvCache cache) {
        Tensor h;
        try (Tensor normed = inputNorm.forward(x)) {
            h = selfAttn.run(normed, rope, cache);
        }
        try {
            Elementwise.addInPlace(h, x, 1f); // the attention's output becomes the residual stream: one buffer less
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        try (Tensor normed = postNorm.forward(h); Tensor mlpOut = mlp.forward(normed)) {
            Elementwise.addInPlace(h, mlpOut, 1f);
            return h;
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
    }

    /** The attention. */
    public LlamaAttention selfAttn() {
        return selfAttn;
    }

    /** The MLP. */
    public LlamaMlp mlp() {
        return mlp;
    }
}
