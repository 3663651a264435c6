package io.github.bnb4j.nn;

import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.Int8StateDict;
import io.github.bnb4j.core.functional.Int8Weight;
import io.github.bnb4j.core.functional.MatmulLtState;

/**
 * An LLM.int8() weight (upstream {@code Int8Params}): the row-wise int8 codes {@code CB} [N, K] and row absmax
 * {@code SCB} [N] of a weight W [N, K], {@code W[n, k] ≈ CB[n, k] · SCB[n] / 127}, held as the
 * {@link MatmulLtState} the product uses. Two kinds, as upstream's {@code has_fp16_weights}:
 * <ul>
 *   <li>frozen ({@link #quantize}, {@link #fromStateDict}): the int8 weight only;</li>
 *   <li>{@linkplain #withFp16Weights 16-bit}: a trainable float weight, which the layer owns, and its int8 copy,
 *       refreshed by {@link #requantize()} before each product.</li>
 * </ul>
 * Owns the int8 tensors (detached from any {@link TensorScope}); {@link #close()} frees them, never the 16-bit
 * weight.
 */
public final class Int8Params implements AutoCloseable {
    private final MatmulLtState state;

    private Int8Params(MatmulLtState state) {
        this.state = state;
        TensorScope.detach(state.weight().cb());
        TensorScope.detach(state.weight().scb());
    }

    /**
     * Quantizes a float weight row-wise (threshold 0, upstream {@code Int8Params._quantize}) into a frozen weight.
     * Does not modify or take {@code weight}.
     *
     * @param weight    F32, F16 or BF16 [N, K]
     * @param threshold the outlier threshold of the products, finite and &gt;= 0
     * @throws NullPointerException          if {@code weight} is null
     * @throws IllegalArgumentException      if {@code weight} is not a matrix or the threshold is invalid
     * @throws UnsupportedOperationException if its dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if it is closed
     */
    public static Int8Params quantize(Tensor weight, float threshold) {
        Int8Weight q = Int8Weight.quantize(weight);
        try {
            return new Int8Params(MatmulLtState.frozen(q, threshold));
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    /**
     * A 16-bit weight and its int8 copy, quantized now; the caller keeps owning {@code weight16}.
     *
     * @param weight16  F32, F16 or BF16 [N, K]
     * @param threshold finite and &gt;= 0
     * @throws NullPointerException          if {@code weight16} is null
     * @throws IllegalArgumentException      if it is not a matrix or the threshold is invalid
     * @throws UnsupportedOperationException if its dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if it is closed
     */
    public static Int8Params withFp16Weights(Tensor weight16, float threshold) {
        return new Int8Params(MatmulLtState.withFp16Weights(weight16, threshold));
    }

    /**
     * A frozen weight from {@code weight}, {@code SCB} and the optional {@code weight_format} under {@code prefix}
     * (upstream's and transformers' {@code load_in_8bit} checkpoints), copied to {@code device}.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as {@link Int8StateDict#fromStateDict}, or if the threshold is invalid
     * @throws IllegalStateException    if a tensor of {@code dict} is closed
     */
    public static Int8Params fromStateDict(Map<String, Tensor> dict, String prefix, Device device, float threshold) {
        Int8Weight q = Int8StateDict.fromStateDict(dict, prefix, device);
        try {
            return new Int8Params(MatmulLtState.frozen(q, threshold));
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    /** The state the LLM.int8() product uses. */
    public MatmulLtState state() {
        return state;
    }

    /** The int8 codes and row statistics. */
    public Int8Weight int8() {
        return state.weight();
    }

    /** Whether a trainable 16-bit weight stands behind the int8 copy (upstream {@code has_fp16_weights}). */
    public boolean hasFp16Weights() {
        return state.hasFp16Weights();
    }

    /** The device of the tensors. */
    public Device device() {
        return state.weight().device();
    }

    /** Bytes of the int8 codes and statistics (not of a 16-bit weight). */
    public long byteSize() {
        return state.weight().cb().byteSize() + state.weight().scb().byteSize();
    }

    /** Quantizes the 16-bit weight into the int8 copy again (after an optimizer step); nothing when frozen. */
    public void requantize() {
        if (state instanceof MatmulLtState.Fp16Weights fp16) {
            fp16.requantize();
        }
    }

    /**
     * Upstream's entries of a frozen weight: {@code weight} (I8 [N, K], a view), {@code SCB} (F32 [N], a view),
     * {@code weight_format} (U8 [] 0, a new CPU tensor), keys prefixed.
     *
     * @throws IllegalStateException if the weight is closed
     */
    public Map<String, Tensor> stateDict(String prefix) {
        return Int8StateDict.toStateDict(state.weight(), prefix);
    }

    /**
     * A frozen copy on {@code device} (a 16-bit weight moves with its layer).
     *
     * @throws NullPointerException  if {@code device} is null
     * @throws IllegalStateException if the weight is closed
     */
    Int8Params frozenTo(Device device) {
        Objects.requireNonNull(device, "device");
        Map<String, Tensor> entries = stateDict("");
        try {
            return fromStateDict(entries, "", device, state.threshold());
        } finally {
            entries.values().forEach(Tensor::close);
        }
    }

    /** Frees the int8 tensors; closing twice is harmless. */
    @Override
    public void close() {
        state.close();
    }
}
