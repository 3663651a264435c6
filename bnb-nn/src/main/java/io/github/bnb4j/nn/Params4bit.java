package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.FourBitOptions;
import io.github.bnb4j.core.functional.FourBitQuantized;
import io.github.bnb4j.core.functional.FourBitState;
import io.github.bnb4j.core.functional.FourBitStateDict;
import io.github.bnb4j.core.functional.QuantType;

/**
 * A 4-bit weight (upstream {@code Params4bit}): the packed NF4/FP4 codes of a dense weight [N, K] and the
 * {@link FourBitState} that dequantizes them, {@code W[i] = table[code(i)] · absmax[i / blocksize]}. A dense weight
 * is quantized when given ({@link #quantize}); a checkpoint's pre-quantized entries are taken as they are
 * ({@link #fromPrequantized}, upstream's {@code from_prequantized}). Owns its tensors, which belong to no
 * {@link TensorScope}; {@link #close()} frees them (idempotent).
 *
 * <p>State dicts hold the packed codes as upstream stores them, U8 [ceil(N·K / 2), 1].
 */
public final class Params4bit implements AutoCloseable {
    private final Tensor packed;
    private final FourBitState state;

    private Params4bit(Tensor packed, FourBitState state) {
        this.packed = packed;
        this.state = state;
        TensorScope.detach(packed);
        detach(state);
    }

    /**
     * Quantizes a dense weight on its device (upstream: on the first move of a {@code Params4bit} to a device).
     * Does not modify or take {@code weight}.
     *
     * @param weight  F32, F16 or BF16 [N, K]; its dtype becomes the state's (what dequantization restores)
     * @param options quant type, blocksize, plain or nested absmax ({@code compress_statistics})
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if {@code weight} is not a matrix
     * @throws UnsupportedOperationException if its dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if it is closed
     */
    public static Params4bit quantize(Tensor weight, FourBitOptions options) {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(options, "options");
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("weight must be a matrix [N, K], got " + weight);
        }
        FourBitQuantized q = FourBit.quantize(weight, options);
        try {
            return new Params4bit(q.packed(), q.state());
        } catch (RuntimeException e) {
            q.close();
            throw e;
        }
    }

    /**
     * A weight from a checkpoint written by Python bitsandbytes or transformers: the packed codes and their quant
     * state entries ({@code absmax}, {@code quant_map}, {@code nested_absmax}, {@code nested_quant_map},
     * {@code quant_state.bitsandbytes__nf4|fp4}) under {@code statsPrefix} (for example {@code "weight."}). Copies
     * to {@code device}; {@code data} and {@code stats} keep their tensors.
     *
     * @param data U8 packed codes, {@code ceil(N·K / 2)} bytes as [bytes, 1] or [bytes]
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the quant state is malformed (see {@link FourBitStateDict}), is not of
     *                                  rank 2, or {@code data} does not hold its packed bytes
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Params4bit fromPrequantized(Tensor data, Map<String, Tensor> stats, String statsPrefix,
            Device device) {
        Objects.requireNonNull(data, "data");
        FourBitState state = FourBitStateDict.fromStateDict(stats, statsPrefix, device);
        Tensor copy = null;
        try {
            long bytes = state.packedBytes();
            boolean shapeOk = Arrays.equals(data.shape(), new long[] {bytes, 1})
                    || Arrays.equals(data.shape(), new long[] {bytes});
            if (state.shape().length != 2 || data.dtype() != DType.U8 || !shapeOk) {
                throw new IllegalArgumentException("the packed weight must be U8 [" + bytes + ", 1] for the quant state"
                        + " of shape " + Arrays.toString(state.shape()) + " (which must be [N, K]), got " + data);
            }
            copy = data.to(device);
            return new Params4bit(copy, state);
        } catch (RuntimeException e) {
            state.close();
            if (copy != null) {
                copy.close();
            }
            throw e;
        }
    }

    /** The packed codes, U8 with {@code ceil(N·K / 2)} elements. */
    public Tensor packed() {
        return packed;
    }

    /** A view of the packed codes as upstream's state dicts hold them, U8 [ceil(N·K / 2), 1]. */
    public Tensor packedView() {
        return packed.reshape(packed.numel(), 1);
    }

    /** The quant state: shape [N, K], dtype, blocksize, quant type, scales. */
    public FourBitState state() {
        return state;
    }

    /** NF4 or FP4. */
    public QuantType quantType() {
        return state.quantType();
    }

    /** Whether the absmax scales are double-quantized (upstream {@code compress_statistics}). */
    public boolean isNested() {
        return state.isNested();
    }

    /** The device of every tensor. */
    public Device device() {
        return packed.device();
    }

    /** Bytes of the packed codes and the state (code book and scales). */
    public long byteSize() {
        return packed.byteSize() + state.byteSize();
    }

    /**
     * The weight back in floating point, [N, K] of the state's dtype.
     *
     * @throws IllegalStateException if the weight is closed
     */
    public Tensor dequantize() {
        return FourBit.dequantize(packed, state);
    }

    /**
     * Upstream's entries for this weight: {@code absmax}, {@code quant_map}, when nested {@code nested_absmax} and
     * {@code nested_quant_map}, and {@code quant_state.bitsandbytes__nf4|fp4} (UTF-8 JSON, a new CPU U8 tensor),
     * keys prefixed. The codes themselves are {@link #packed()}.
     *
     * @throws IllegalStateException if the weight is closed
     */
    public Map<String, Tensor> quantStateDict(String prefix) {
        return FourBitStateDict.toStateDict(state, prefix);
    }

    /**
     * A copy on {@code device}.
     *
     * @throws IllegalStateException if the weight is closed
     */
    public Params4bit to(Device device) {
        Objects.requireNonNull(device, "device");
        Map<String, Tensor> entries = new LinkedHashMap<>(quantStateDict(""));
        try {
            return fromPrequantized(packed, entries, "", device);
        } finally {
            entries.values().forEach(Tensor::close);
        }
    }

    /** Frees the codes and the state; closing twice is harmless. */
    @Override
    public void close() {
        packed.close();
        state.close();
    }

    private static void detach(FourBitState s) {
        TensorScope.detach(s.code());
        if (s.scales() instanceof AbsmaxScales.Plain plain) {
            TensorScope.detach(plain.absmax());
        } else if (s.scales() instanceof AbsmaxScales.Nested nested) {
            TensorScope.detach(nested.codes());
            TensorScope.detach(nested.offset());
            TensorScope.detach(nested.state().code());
            TensorScope.detach(((AbsmaxScales.Plain) nested.state().scales()).absmax());
        }
    }

    @Override
    public String toString() {
        return "Params4bit[" + state + ", " + packed + "]";
    }
}
