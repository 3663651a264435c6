package io.github.bnb4j.nn.llama;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.KvCache;
import io.github.bnb4j.core.functional.transformer.RotaryEmbedding;
import io.github.bnb4j.nn.Sequential;

/**
 * transformers' {@code LlamaModel} ({@code model}): token ids to the final normalised hidden states,
 * <pre>
 *   x = embed_tokens(ids)  [B, T, hidden];   x = layers[i](x) for each layer;   out = norm(x)
 * </pre>
 * Children: {@code embed_tokens}, {@code layers} ({@code layers.0} ... {@code layers.N−1}), {@code norm}.
 */
public final class LlamaModel extends InferenceModule {
    private final LlamaConfig config;
    private final TokenEmbedding embedTokens;
    private final Sequential layers;
    private final LlamaRmsNorm norm;

    LlamaModel(LlamaConfig config, TokenEmbedding embedTokens, Sequential layers, LlamaRmsNorm norm) {
        this.config = config;
        this.embedTokens = registerModule("embed_tokens", embedTokens);
        this.layers = registerModule("layers", layers);
        this.norm = registerModule("norm", norm);
    }

    /**
     * The hidden states of T tokens at positions 0 .. T − 1, without a cache.
     *
     * @param input I32 or I64 ids [B, T] on the model's device, T at most the config's position limit
     * @return a new tensor [B, T, hidden] of the model's dtype
     * @throws IllegalArgumentException if the ids are not [B, T] ids on the device or T exceeds the position limit
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        requireIds(input, 0);
        try (RotaryEmbedding rope = layer(0).selfAttn().rope(input.device())) {
            return run(input, rope, null);
        }
    }

    /**
     * The hidden states of T tokens following the cache's positions; appends their keys and values to it.
     *
     * @param ids I32 or I64 [B, T] on the model's device, B the cache's batch
     * @return a new tensor [B, T, hidden] of the model's dtype
     * @throws IllegalArgumentException if the ids do not fit, or T more positions do not fit in the cache (nothing is
     *                                  appended)
     * @throws IllegalStateException    if the model or the cache is closed
     */
    public Tensor forward(Tensor ids, LlamaCache cache) {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(cache, "cache");
        requireOpen();
        requireIds(ids, cache.length());
        cache.requireRoom(ids.size(1));
        if (ids.size(0) != cache.batch()) {
            throw new IllegalArgumentException(describe() + ": ids hold " + ids.size(0) + " rows, the cache "
                    + cache.batch());
        }
        return run(ids, cache.rope(), cache.kv());
    }

    private Tensor run(Tensor ids, RotaryEmbedding rope, KvCache cache) {
        Tensor x = embedTokens.forward(ids);
        try {
            for (int i = 0; i < layers.size(); i++) {
                Tensor next = layer(i).run(x, rope, cache);
                x.close();
                x = next;
            }
            return norm.forward(x);
        } finally {
            x.close();
        }
    }

    private void requireIds(Tensor ids, long past) {
        if (ids.rank() != 2 || ids.size(1) < 1 || ids.dtype() != DType.I64 && ids.dtype() != DType.I32
                || !ids.device().equals(norm.weight().value().device())) {
            throw new IllegalArgumentException(describe() + ": ids must be I32 or I64 [batch, T >= 1] on "
                    + norm.weight().value().device() + ", got " + ids);
        }
        if (past + ids.size(1) > config.maxPositions()) {
            throw new IllegalArgumentException(describe() + ": " + past + " cached + " + ids.size(1) + " new positions"
                    + " exceed max_position_embeddings = " + config.maxPositions());
        }
    }

    /** Decoder layer {@code i}. @throws IndexOutOfBoundsException if out of range */
    public LlamaDecoderLayer layer(int i) {
        return (LlamaDecoderLayer) layers.get(i);
    }

    /** The token embedding. */
    public TokenEmbedding embedTokens() {
        return embedTokens;
    }

    /** The final norm. */
    public LlamaRmsNorm norm() {
        return norm;
    }
}
