package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.functional.transformer.AttentionHeads;
import io.github.bnb4j.core.functional.transformer.KvCache;
import io.github.bnb4j.core.functional.transformer.RotaryEmbedding;

/**
 * What a Llama keeps between the steps of one generation: the {@link KvCache} of every layer (allocated once, for
 * {@code batch} rows of up to {@code maxPositions} positions: no allocation per token) and the rotary frequency table
 * on the model's device. Made by {@link LlamaForCausalLM#newCache}; used on one stream at a time; close it to free
 * its memory.
 */
public final class LlamaCache implements AutoCloseable {
    private final KvCache kv;
    private final RotaryEmbedding rope;

    private LlamaCache(KvCache kv, RotaryEmbedding rope) {
        this.kv = kv;
        this.rope = rope;
    }

    /** A cache for {@code config}'s layers; arguments checked by the caller. */
    static LlamaCache create(LlamaConfig config, int batch, long maxPositions, DType dtype, Device device) {
        AttentionHeads heads = heads(config);
        RotaryEmbedding rope = RotaryEmbedding.create(config.headDim(), config.ropeTheta(), device);
        try {
            return new LlamaCache(KvCache.create(config.layers(), batch, maxPositions, heads, dtype, device), rope);
        } catch (RuntimeException e) {
            rope.close();
            throw e;
        }
    }

    /** The attention heads of {@code config}. */
    static AttentionHeads heads(LlamaConfig config) {
        return new AttentionHeads(config.heads(), config.kvHeads(), config.headDim());
    }

    /** The rows of the batch. */
    public int batch() {
        return kv.batch();
    }

    /** Positions the cache holds at most (prompt and generated tokens). */
    public long maxPositions() {
        return kv.maxPositions();
    }

    /** Positions held now (those of layer 0; a completed forward leaves every layer at the same length). */
    public long length() {
        return kv.length(0);
    }

    /** Forgets every position, for a new generation of the same shape; the memory stays allocated. */
    public void reset() {
        kv.reset();
    }

    /** The keys and values of every layer. */
    public KvCache kv() {
        return kv;
    }

    /** The rotary embedding of the model's heads, on its device. */
    RotaryEmbedding rope() {
        return rope;
    }

    /**
     * @throws IllegalArgumentException unless {@code t} more positions fit
     */
    void requireRoom(long t) {
        if (t > maxPositions() - length()) {
            throw new IllegalArgumentException("the cache holds " + length() + " of " + maxPositions()
                    + " positions; " + t + " more tokens do not fit");
        }
    }

    /** Frees the keys, values and frequency table; idempotent. */
    @Override
    public void close() {
        kv.close();
        rope.close();
    }
}
