/**
 * The ops of a Llama-architecture decoder that are not matrix products, on the CPU and on CUDA devices, F32, F16
 * and BF16 with f32 arithmetic, matching transformers' Llama numerics: {@link RmsNorm} (forward and backward),
 * {@link RotaryEmbedding}, causal grouped-query {@link Attention} over a {@link KvCache}, softmax and argmax
 * ({@link LastDimension}) and next-token choice ({@link TokenSampler}).
 *
 * <p>One decode step of a layer, with activations [batch, T, heads, headDim] (T = 1 when decoding, the prompt's
 * length when prefilling) and {@code L = cache.length(layer)} before the step:
 * <pre>{@code
 * Tensor h = RmsNorm.forward(x, inputNorm, eps);
 * // q, k, v = the projections of h, reshaped to [batch, T, heads, headDim]
 * rope.applyInto(q, L, q);
 * rope.applyInto(k, L, k);
 * cache.append(layer, k, v);
 * Tensor attended = Attention.causal(q, cache, layer);   // [batch, T, queryHeads, headDim]
 * }</pre>
 * CUDA kernels run on the device's current stream and never synchronize with the host; the decode path
 * ({@code ...Into} methods, a cache made once) allocates nothing.
 */
package io.github.bnb4j.core.functional.transformer;
