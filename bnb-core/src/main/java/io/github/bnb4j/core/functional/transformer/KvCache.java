package io.github.bnb4j.core.functional.transformer;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;

/**
 * The keys and values of past positions for every layer of a decoder, in the model's dtype on one device: per
 * layer one key and one value buffer [batch, maxPositions, kvHeads, headDim], of which the first
 * {@link #length(int)} positions hold data. A decoder appends the (rotated) keys and values of each new block of
 * tokens with {@link #append} and attends to the cache with {@link Attention#causal(Tensor, KvCache, int)}.
 *
 * <p>The cache also owns the scratch of the GPU attention kernel's split of long contexts (sized for decode
 * steps; prefill uses fewer splits), so one cache must be used on one stream at a time. Memory: 2 · layers ·
 * batch · maxPositions · kvHeads · headDim elements, allocated at {@link #create} (no allocation per token).
 * Close the cache to free it.
 */
public final class KvCache implements AutoCloseable {
    /** The splits of one query's positions that the workspace holds (the GPU kernel uses at most 64). */
    private static final int WORKSPACE_SPLITS = 64;

    private final AttentionHeads heads;
    private final int batch;
    private final long maxPositions;
    private final Tensor[] keys;
    private final Tensor[] values;
    private final long[] lengths;
    private final Tensor workspace;

    private KvCache(AttentionHeads heads, int batch, long maxPositions, Tensor[] keys, Tensor[] values,
                    Tensor workspace) {
        this.heads = heads;
        this.batch = batch;
        this.maxPositions = maxPositions;
        this.keys = keys;
        this.values = values;
        this.lengths = new long[keys.length];
        this.workspace = workspace;
    }

    /**
     * An empty cache.
     *
     * @param layers       &gt;= 1
     * @param batch        &gt;= 1
     * @param maxPositions &gt;= 1: the prompt and every generated token (the config's position limit at most)
     * @param heads        the attention's heads
     * @param dtype        F32, F16 or BF16: the dtype of the keys and values appended
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if a count is out of range
     * @throws UnsupportedOperationException if dtype is not F32, F16 or BF16
     * @throws io.github.bnb4j.nativelib.OutOfDeviceMemoryException if the device has not enough memory; nothing
     *                                       stays allocated
     */
    public static KvCache create(int layers, int batch, long maxPositions, AttentionHeads heads, DType dtype,
                                 Device device) {
        Objects.requireNonNull(heads, "heads");
        Objects.requireNonNull(device, "device");
        TransformerChecks.requireFloat(dtype, device, "dtype", "KvCache");
        if (layers < 1) {
            throw new IllegalArgumentException("layers must be >= 1, got " + layers);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        if (maxPositions < 1 || maxPositions > RotaryEmbedding.MAX_POSITION) {
            throw new IllegalArgumentException("maxPositions must be in [1, 2^24], got " + maxPositions);
        }
        Tensor[] keys = new Tensor[layers];
        Tensor[] values = new Tensor[layers];
        Tensor workspace = null;
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = Tensor.empty(dtype, device, batch, maxPositions, heads.kvHeads(), heads.headDim());
                values[l] = Tensor.empty(dtype, device, batch, maxPositions, heads.kvHeads(), heads.headDim());
            }
            workspace = Tensor.empty(DType.F32, device,
                    (long) batch * heads.queryHeads() * WORKSPACE_SPLITS * (heads.headDim() + 2));
            return new KvCache(heads, batch, maxPositions, keys, values, workspace);
        } catch (RuntimeException e) {
            TransformerChecks.closeAll(keys);
            TransformerChecks.closeAll(values);
            TransformerChecks.closeAll(workspace);
            throw e;
        }
    }

    /** The attention heads the cache was made for. */
    public AttentionHeads heads() {
        return heads;
    }

    /** The batch size. */
    public int batch() {
        return batch;
    }

    /** Positions each layer holds at most. */
    public long maxPositions() {
        return maxPositions;
    }

    /** The number of layers. */
    public int layers() {
        return keys.length;
    }

    /** The dtype of keys and values. */
    public DType dtype() {
        return keys[0].dtype();
    }

    /** The device of the buffers. */
    public Device device() {
        return keys[0].device();
    }

    /**
     * Positions of {@code layer} that hold data.
     *
     * @throws IndexOutOfBoundsException if layer is not in [0, layers)
     */
    public long length(int layer) {
        Objects.checkIndex(layer, keys.length);
        return lengths[layer];
    }

    /**
     * Copies k and v (on the device's current stream) into positions [length, length + T) of {@code layer} and
     * advances its length by T.
     *
     * @param k [batch, T, kvHeads, headDim] in the cache's dtype, on its device (already rotated)
     * @param v the same shape
     * @throws NullPointerException      if k or v is null
     * @throws IndexOutOfBoundsException if layer is not in [0, layers)
     * @throws IllegalArgumentException  if k or v does not match, or the T positions do not fit; nothing is written
     * @throws IllegalStateException     if the cache or a tensor is closed
     */
    public void append(int layer, Tensor k, Tensor v) {
        Objects.checkIndex(layer, keys.length);
        checkOpen();
        TransformerChecks.requireRank4(k, "k", "[batch, T, kvHeads, headDim]");
        long t = k.size(1);
        long[] shape = {batch, t, heads.kvHeads(), heads.headDim()};
        TransformerChecks.requireShape(k, dtype(), shape, device(), "k");
        TransformerChecks.requireShape(v, dtype(), shape, device(), "v");
        if (t > maxPositions - lengths[layer]) {
            throw new IllegalArgumentException("layer " + layer + " holds " + lengths[layer] + " of " + maxPositions
                    + " positions; cannot append " + t + " more");
        }
        try (TensorUse use = TensorUse.of(k, v)) { // both open before either is copied
            copyInto(keys[layer], k, lengths[layer]);
            copyInto(values[layer], v, lengths[layer]);
        }
        lengths[layer] += t;
    }

    /** Forgets every position of every layer (the buffers stay allocated). */
    public void reset() {
        Arrays.fill(lengths, 0);
    }

    /** The key buffer of {@code layer}: [batch, maxPositions, kvHeads, headDim], {@link #length} valid. */
    Tensor keys(int layer) {
        return keys[layer];
    }

    /** The value buffer of {@code layer}, as {@link #keys}. */
    Tensor values(int layer) {
        return values[layer];
    }

    /** The GPU attention kernel's scratch. */
    Tensor workspace() {
        return workspace;
    }

    private void checkOpen() {
        if (workspace.isClosed()) {
            throw new IllegalStateException("the KvCache is closed");
        }
    }

    /** Copies src [batch, T, ...] into positions [at, at + T) of every batch row of buffer. */
    private void copyInto(Tensor buffer, Tensor src, long at) {
        long t = src.size(1);
        Tensor rows = buffer.reshape((long) batch * maxPositions, heads.kvHeads(), heads.headDim());
        Tensor from = src.reshape((long) batch * t, heads.kvHeads(), heads.headDim());
        for (int b = 0; b < batch; b++) {
            rows.narrow(b * maxPositions + at, t).copyFrom(from.narrow(b * t, t));
        }
    }

    /** Frees every buffer; idempotent. */
    @Override
    public void close() {
        TransformerChecks.closeAll(keys);
        TransformerChecks.closeAll(values);
        workspace.close();
    }
}
