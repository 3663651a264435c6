package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeInt8;

/**
 * A linear layer's weight quantized row-wise to int8 (upstream {@code Int8Params}: {@code CB} and {@code SCB}):
 * each output row {@code n} of the weight [N, K] is {@code cb[n, k] · scb[n] / 127}. Built by {@link #quantize}
 * or from a checkpoint ({@link Int8StateDict}); validated when built. Owns its tensors: {@link #close()} releases
 * them.
 *
 * @param cb  I8 [N, K]: the codes
 * @param scb F32 [N] on cb's device: each row's absmax
 */
public record Int8Weight(Tensor cb, Tensor scb) implements AutoCloseable {
    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if cb is not an I8 matrix, or scb is not F32 [N] on cb's device
     */
    public Int8Weight {
        Int8Checks.requireMatrix(cb, DType.I8, "cb");
        Int8Checks.requireVector(scb, DType.F32, cb.size(0), cb.device(), "scb");
    }

    /**
     * Quantizes a float weight row-wise with threshold 0 (upstream {@code Int8Params._quantize}). Does not modify
     * {@code weight}.
     *
     * @param weight F32, F16 or BF16 [N, K]
     * @return a new weight on {@code weight}'s device
     * @throws NullPointerException          if {@code weight} is null
     * @throws IllegalArgumentException      if {@code weight} is not a matrix
     * @throws UnsupportedOperationException if its dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if it is closed
     */
    public static Int8Weight quantize(Tensor weight) {
        requireFloatWeight(weight);
        Tensor cb = null;
        Tensor scb = null;
        try {
            cb = Tensor.empty(DType.I8, weight.device(), weight.shape());
            scb = Tensor.empty(DType.F32, weight.device(), weight.size(0));
            Int8Weight q = new Int8Weight(cb, scb);
            q.quantizeFrom(weight);
            return q;
        } catch (RuntimeException e) {
            Int8.closeAll(cb, scb);
            throw e;
        }
    }

    /** Rows N: the layer's output features. */
    public long outFeatures() {
        return cb.size(0);
    }

    /** Columns K: the layer's input features. */
    public long inFeatures() {
        return cb.size(1);
    }

    /** The device of both tensors. */
    public Device device() {
        return cb.device();
    }

    /**
     * The weight back in floating point, {@code cb · scb / 127} rounded to {@code dtype}.
     *
     * @return a new [N, K] tensor
     * @throws NullPointerException          if {@code dtype} is null
     * @throws UnsupportedOperationException if {@code dtype} is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public Tensor dequantize(DType dtype) {
        return Int8.vectorwiseDequant(cb, scb, dtype);
    }

    /** Quantizes {@code weight} (checked: a float [N, K] matrix on this device) into this weight's tensors. */
    void quantizeFrom(Tensor weight) {
        try (TensorUse use = TensorUse.of(weight, cb, scb)) {
            NativeInt8.vectorwiseQuant(weight, outFeatures(), inFeatures(), 0f, cb, scb, null, null);
        }
    }

    static void requireFloatWeight(Tensor weight) {
        Objects.requireNonNull(weight, "weight");
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("weight must be a matrix [N, K], got " + weight);
        }
        Int8Checks.requireFloat(weight, "weight", "int8 weight quantization");
    }

    @Override
    public void close() {
        cb.close();
        scb.close();
    }
}
