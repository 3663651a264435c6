package io.github.bnb4j.nn.llama;

import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.Attention;
import io.github.bnb4j.core.functional.transformer.AttentionHeads;
import io.github.bnb4j.core.functional.transformer.KvCache;
import io.github.bnb4j.core.functional.transformer.RotaryEmbedding;
import io.github.bnb4j.nn.Module;

/**
 * transformers' {@code LlamaAttention} ({@code self_attn}): for x [B, T, hidden] at positions p0 .. p0 + T − 1
 * <pre>
 *   q = rope(x · Wqᵀ, p0)   [B, T, Hq, D]      k = rope(x · Wkᵀ, p0)   [B, T, Hkv, D]      v = x · Wvᵀ
 *   out = causalAttention(q, k, v) · Woᵀ      (grouped-query: query head h reads key/value head h / (Hq / Hkv))
 * </pre>
 * with children {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code o_proj} (dense or quantized, no bias). Without a
 * cache ({@link #forward(Tensor)}) the T tokens are positions 0 .. T − 1 and attend to each other; with a
 * {@link LlamaCache} ({@link #forward(Tensor, LlamaCache)}) they follow the cache's positions of this layer, their
 * keys and values are appended to it, and they attend to everything it holds. RoPE uses the config's
 * {@code rope_theta}; its frequency table lives in the cache (or, without one, in a table made for the call).
 */
public final class LlamaAttention extends InferenceModule {
    private final int layer;
    private final AttentionHeads heads;
    private final double ropeTheta;
    private final Module qProj;
    private final Module kProj;
    private final Module vProj;
    private final Module oProj;

    /** The attention of decoder layer {@code layer}. */
    LlamaAttention(int layer, AttentionHeads heads, double ropeTheta, Module qProj, Module kProj, Module vProj,
                   Module oProj) {
        this.layer = layer;
        this.heads = heads;
        this.ropeTheta = ropeTheta;
        this.qProj = registerModule("q_proj", qProj);
        this.kProj = registerModule("k_proj", kProj);
        this.vProj = registerModule("v_proj", vProj);
        this.oProj = registerModule("o_proj", oProj);
    }

    /**
     * Attention of the T tokens of x among themselves (positions 0 .. T − 1, no cache).
     *
     * @param input [B, T, hidden] of the model's dtype, on its device
     * @return a new tensor [B, T, hidden]
     * @throws IllegalArgumentException if the input does not fit (the message names the projection)
     */
    @Override
    protected Tensor forwardImpl(Tensor input) {
        try (RotaryEmbedding rope = rope(input.device())) {
            return run(input, rope, null);
        }
    }

    /**
     * Attention of the T tokens of x over the cache's positions of this layer and themselves; appends their keys
     * and values to the cache.
     *
     * @param x     [B, T, hidden] of the model's dtype, on its device; B the cache's batch
     * @param cache the model's cache; T more positions must fit in it
     * @return a new tensor [B, T, hidden]
     * @throws IllegalArgumentException if x does not fit, or the cache is full (nothing is appended)
     * @throws IllegalStateException    if the module or the cache is closed
     */
    public Tensor forward(Tensor x, LlamaCache cache) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(cache, "cache");
        requireOpen();
        return run(x, cache.rope(), cache.kv());
    }

    /** The attention with {@code rope}, over {@code cache} when it is not null. */
    Tensor run(Tensor x, RotaryEmbedding rope, KvCache cache) {
        if (x.rank() != 3) {
            throw new IllegalArgumentException(describe() + ": x must be [batch, T, hidden], got " + x);
        }
        long b = x.size(0);
        long t = x.size(1);
        try (Tensor q = qProj.forward(x); Tensor k = kProj.forward(x); Tensor v = vProj.forward(x)) {
            Tensor q4 = q.reshape(b, t, heads.queryHeads(), heads.headDim());
            Tensor k4 = k.reshape(b, t, heads.kvHeads(), heads.headDim());
            Tensor v4 = v.reshape(b, t, heads.kvHeads(), heads.headDim());
            long start = cache == null ? 0 : cache.length(layer);
            rope.applyInto(q4, start, q4);
            rope.applyInto(k4, start, k4);
            Tensor attended;
            if (cache == null) {
                attended = Attention.causal(q4, k4, v4, heads);
            } else {
                cache.append(layer, k4, v4);
                attended = Attention.causal(q4, cache, layer);
            }
            try (attended) {
                return oProj.forward(attended.reshape(b, t, (long) heads.queryHeads() * heads.headDim()));
            }
        }
    }

    /** A new frequency table of this attention's RoPE on {@code device}; the caller closes it. */
    RotaryEmbedding rope(Device device) {
        return RotaryEmbedding.create(heads.headDim(), ropeTheta, device);
    }

    /** The index of this attention's decoder layer (its layer of the cache). */
    public int layer() {
        return layer;
    }

    /** The heads. */
    public AttentionHeads heads() {
        return heads;
    }
}
