package io.github.bnb4j.core.functional.transformer;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeTransformer;

/**
 * Causal grouped-query attention (transformers' Llama attention with its causal mask): for query heads
 * {@code h = 0 .. Hq−1} reading key/value head {@code h / g} ({@code Hq = g · Hkv}), with the T queries at the last T
 * of the L key positions (query t at position {@code p = L − T + t}):
 * <pre>
 *   s[j]  = scale · q[b, t, h, :] · k[b, j, h / g, :]        for j &lt;= p   (f32; scale = headDim^-0.5)
 *   w     = softmax(s)                                       (f32)
 *   out[b, t, h, :] = dtype(Σ_j w[j] · v[b, j, h / g, :])    (f32 sums)
 * </pre>
 * Scores, weights and sums stay in f32 and only the output is rounded to the dtype, as transformers' sdpa path does
 * on the GPU (its eager path rounds the scores and weights to the dtype in between, which moves a bf16 result by
 * about one unit in its last place). Tensors are [batch, T, heads, headDim], the layout of a projection's output
 * reshaped; F32, F16 or BF16, all of one dtype, on one device; batch &gt; 1 runs the rows independently (no padding
 * mask: every row has the same length). On CUDA devices one block serves a query row and a split of its positions
 * (flash-decoding), so a decode step fills the GPU; head dims up to 256 there. Kernels run on the device's current
 * stream without synchronizing. Every argument is checked before a kernel runs; an op that throws has written
 * nothing.
 */
public final class Attention {
    /** The largest head dim of the CUDA kernel (the CPU takes any). */
    public static final int MAX_CUDA_HEAD_DIM = 256;

    private Attention() {
    }

    /**
     * Attention of q over the first {@code cache.length(layer)} positions of {@code layer} (append this step's keys
     * and values first).
     *
     * @param q [batch, T, queryHeads, headDim] in the cache's dtype, on its device; T &lt;= the layer's length
     * @return a new tensor of q's shape
     * @throws NullPointerException          if an argument is null
     * @throws IndexOutOfBoundsException     if layer is not in [0, layers)
     * @throws IllegalArgumentException      if q does not match the cache or T exceeds the layer's length
     * @throws UnsupportedOperationException if the head dim exceeds what the CUDA kernel supports (256)
     * @throws IllegalStateException         if q or the cache is closed
     */
    public static Tensor causal(Tensor q, KvCache cache, int layer) {
        Objects.requireNonNull(cache, "cache");
        checkQuery(q, cache, layer);
        Tensor out = Tensor.empty(q.dtype(), q.device(), q.shape());
        try {
            run(q, cache, layer, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@link #causal(Tensor, KvCache, int)} into a caller-owned tensor (no allocation: the decode path).
     *
     * @param out q's dtype, shape and device; overwritten
     * @throws IllegalArgumentException as {@link #causal(Tensor, KvCache, int)}, or if out does not match q
     */
    public static void causalInto(Tensor q, KvCache cache, int layer, Tensor out) {
        Objects.requireNonNull(cache, "cache");
        checkQuery(q, cache, layer);
        TransformerChecks.requireShape(out, q.dtype(), q.shape(), q.device(), "out");
        run(q, cache, layer, out);
    }

    /**
     * Attention without a cache: the T queries over the T keys and values of the same tokens (a prompt, or a
     * training forward pass).
     *
     * @param q     [batch, T, queryHeads, headDim], F32, F16 or BF16
     * @param k     [batch, T, kvHeads, headDim], q's dtype and device
     * @param v     k's shape, dtype and device
     * @param heads the heads (their counts and head dim must match the tensors)
     * @return a new tensor of q's shape
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if a shape, dtype or device does not match
     * @throws UnsupportedOperationException if the dtype is not F32, F16 or BF16, or the head dim exceeds what the
     *                                       CUDA kernel supports (256)
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor causal(Tensor q, Tensor k, Tensor v, AttentionHeads heads) {
        Objects.requireNonNull(heads, "heads");
        TransformerChecks.requireFloat(q, "q", "attention");
        TransformerChecks.requireRank4(q, "q", "[batch, T, queryHeads, headDim]");
        long batch = q.size(0);
        long t = q.size(1);
        TransformerChecks.requireShape(q, q.dtype(), new long[] {batch, t, heads.queryHeads(), heads.headDim()},
                q.device(), "q");
        long[] kvShape = {batch, t, heads.kvHeads(), heads.headDim()};
        TransformerChecks.requireShape(k, q.dtype(), kvShape, q.device(), "k");
        TransformerChecks.requireShape(v, q.dtype(), kvShape, q.device(), "v");
        requireSupported(heads, q);
        Tensor out = Tensor.empty(q.dtype(), q.device(), q.shape());
        try (TensorUse use = TensorUse.of(q, k, v, out)) {
            NativeTransformer.attention(q, k, v, out, batch, t, heads.queryHeads(), heads.kvHeads(), heads.headDim(),
                    t, t, heads.scale(), null);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static void checkQuery(Tensor q, KvCache cache, int layer) {
        long length = cache.length(layer);
        AttentionHeads heads = cache.heads();
        TransformerChecks.requireRank4(q, "q", "[batch, T, queryHeads, headDim]");
        long t = q.size(1);
        TransformerChecks.requireShape(q, cache.dtype(), new long[] {cache.batch(), t, heads.queryHeads(),
            heads.headDim()}, cache.device(), "q");
        if (t > length) {
            throw new IllegalArgumentException("q holds " + t + " positions but layer " + layer + " of the cache only "
                    + length + "; append the step's keys and values before attending");
        }
        requireSupported(heads, q);
    }

    private static void requireSupported(AttentionHeads heads, Tensor q) {
        if (q.device().isCuda() && heads.headDim() > MAX_CUDA_HEAD_DIM) {
            throw new UnsupportedOperationException("attention does not support head dim " + heads.headDim()
                    + " for dtype " + q.dtype() + " on " + q.device() + "; at most " + MAX_CUDA_HEAD_DIM);
        }
    }

    private static void run(Tensor q, KvCache cache, int layer, Tensor out) {
        AttentionHeads heads = cache.heads();
        Tensor k = cache.keys(layer);
        Tensor v = cache.values(layer);
        Tensor workspace = cache.workspace();
        try (TensorUse use = TensorUse.of(q, k, v, out, workspace)) {
            NativeTransformer.attention(q, k, v, out, cache.batch(), q.size(1), heads.queryHeads(), heads.kvHeads(),
                    heads.headDim(), cache.length(layer), cache.maxPositions(), heads.scale(), workspace);
        }
    }
}
