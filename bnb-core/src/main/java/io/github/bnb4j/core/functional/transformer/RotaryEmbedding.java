package io.github.bnb4j.core.functional.transformer;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeTransformer;

/**
 * Rotary position embedding in the Llama convention ({@code rotate_half}: element i pairs with i + d/2), as
 * transformers' {@code LlamaRotaryEmbedding} and {@code apply_rotary_pos_emb} compute it. With h = d / 2:
 * <pre>
 *   invFreq[i] = 1 / theta^(f32(2i) / f32(d))            (f32, i &lt; h; transformers' default rope parameters)
 *   angle      = invFreq[i] · position                   (f32)
 *   c, s       = dtype(cos(angle)), dtype(sin(angle))    (f32, cast to the input dtype as transformers does)
 *   out[i]     = dtype(dtype(x[i] · c)     + dtype(−x[i + h] · s))
 *   out[i + h] = dtype(dtype(x[i + h] · c) + dtype(x[i] · s))
 * </pre>
 * Inputs are [batch, T, heads, d] (the layout of a projection's output [batch, T, heads · d], reshaped): token t
 * of every batch row is at position {@code start + t}, so that a decode step with a key/value cache of length L
 * passes {@code start = L}. q and k are rotated by separate calls (their head counts differ with grouped-query
 * attention). F32, F16 or BF16, f32 arithmetic; positions up to 2^24.
 *
 * <p>An instance owns its F32 [d / 2] frequency table on one device; close it to free that.
 */
public final class RotaryEmbedding implements AutoCloseable {
    /** The largest position: positions are exact in f32 up to 2^24. */
    public static final long MAX_POSITION = 1L << 24;

    private final int headDim;
    private final double theta;
    private final Tensor invFreq;

    private RotaryEmbedding(int headDim, double theta, Tensor invFreq) {
        this.headDim = headDim;
        this.theta = theta;
        this.invFreq = invFreq;
    }

    /**
     * The rotary embedding of heads of {@code headDim} on {@code device}.
     *
     * @param headDim even, &gt;= 2
     * @param theta   the base ({@code rope_theta}: 10000 for Llama 2, 500000 for Llama 3); finite, &gt; 1
     * @throws NullPointerException     if device is null
     * @throws IllegalArgumentException if headDim is odd or &lt; 2, or theta is not finite and &gt; 1
     */
    public static RotaryEmbedding create(int headDim, double theta, Device device) {
        Objects.requireNonNull(device, "device");
        float[] inv = inverseFrequencies(headDim, theta);
        return new RotaryEmbedding(headDim, theta, Tensor.fromFloats(inv, DType.F32, device, inv.length));
    }

    /**
     * theta^(−2i/d) for i &lt; d / 2 in f32, as transformers' {@code _compute_default_rope_parameters}:
     * {@code 1.0 / (theta ** (arange(0, d, 2).float() / d))} (the exponent an f32 quotient, the power and the
     * reciprocal rounded to f32).
     *
     * @throws IllegalArgumentException if headDim is odd or &lt; 2, or theta is not finite and &gt; 1
     */
    public static float[] inverseFrequencies(int headDim, double theta) {
        if (headDim < 2 || headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim must be even and >= 2, got " + headDim);
        }
        if (!Double.isFinite(theta) || !(theta > 1)) {
            throw new IllegalArgumentException("theta must be finite and > 1, got " + theta);
        }
        float base = (float) theta; // torch raises the f32 tensor's dtype: the base is used as an f32
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        return inv;
    }

    /** The head dimension d. */
    public int headDim() {
        return headDim;
    }

    /** The base theta. */
    public double theta() {
        return theta;
    }

    /** The device of the frequency table, where the inputs must be. */
    public Device device() {
        return invFreq.device();
    }

    /**
     * x rotated, into a new tensor.
     *
     * @param x     F32, F16 or BF16 [batch, T, heads, d] on this embedding's device
     * @param start the position of token 0, &gt;= 0, with start + T &lt;= 2^24
     * @return a new tensor of x's shape and dtype
     * @throws NullPointerException          if x is null
     * @throws IllegalArgumentException      if x is not [batch, T, heads, d] on this device, or start is out of range
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if x or this embedding is closed
     */
    public Tensor apply(Tensor x, long start) {
        check(x, start);
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try {
            run(x, out, start);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@link #apply} into {@code out}, which may be x itself (in place) or a view of a key/value cache's slots.
     *
     * @param out x's dtype and shape, on this device; overwritten
     * @throws IllegalArgumentException as {@link #apply}, or if out does not match x
     */
    public void applyInto(Tensor x, long start, Tensor out) {
        check(x, start);
        TransformerChecks.requireShape(out, x.dtype(), x.shape(), x.device(), "out");
        run(x, out, start);
    }

    private void check(Tensor x, long start) {
        TransformerChecks.requireFloat(x, "x", "rope");
        TransformerChecks.requireRank4(x, "x", "[batch, T, heads, " + headDim + "]");
        if (x.size(3) != headDim || !x.device().equals(invFreq.device())) {
            throw new IllegalArgumentException("x must be [batch, T, heads, " + headDim + "] on " + invFreq.device()
                    + ", got " + x);
        }
        long t = x.size(1);
        if (start < 0 || start > MAX_POSITION - t) {
            throw new IllegalArgumentException("start must be >= 0 with start + T <= 2^24 (T = " + t + "), got "
                    + start);
        }
    }

    private void run(Tensor x, Tensor out, long start) {
        try (TensorUse use = TensorUse.of(x, out, invFreq)) {
            NativeTransformer.rope(x, out, invFreq, x.size(0), x.size(1), x.size(2), headDim, start);
        }
    }

    /** Frees the frequency table; later calls throw {@link IllegalStateException}. Idempotent. */
    @Override
    public void close() {
        invFreq.close();
    }
}
