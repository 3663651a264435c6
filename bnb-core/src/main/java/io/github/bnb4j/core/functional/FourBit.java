package io.github.bnb4j.core.functional;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeFourBit;

/**
 * 4-bit quantization, NF4 or FP4 (upstream {@code quantize_4bit} / {@code dequantize_4bit}), and products with a
 * 4-bit weight (upstream {@code matmul_4bit}).
 *
 * <p>For each block {@code b} of {@code blocksize} consecutive values of the flattened input {@code A} (the last
 * block may be shorter):
 * <pre>
 *   absmax[b] = max |A[i]|,  i in block b                       (NaN ignored)
 *   code(i)   = upstream's NF4 / FP4 decision tree on A[i] * (1 / absmax[b])   (f32 reciprocal)
 *   packed[j] = code(2j) &lt;&lt; 4 | code(2j + 1)               (odd n: the last low nibble codes a padding 0.0)
 *   dequant   = table[code(i)] * absmax[b]                      (f32 math, rounded once to the output dtype)
 * </pre>
 * The kernels use the fixed table of the state's {@link QuantType}, as upstream's do; the state's code book is
 * carried for serialization ({@link FourBitStateDict}). With {@link AbsmaxStorage#NESTED} the scales are stored
 * as 8-bit codes of {@code absmax - mean(absmax)} in blocks of 256 (upstream's {@code compress_statistics}),
 * undone inside the kernels. Outputs are bit-identical on the CPU and CUDA, and to upstream's except where a
 * value lies exactly on a threshold (upstream's fast-math reciprocal; docs/DECISIONS.md).
 *
 * <p>A 4-bit weight is a state of shape [N, K] (upstream's [out_features, in_features]): row {@code r} holds
 * values {@code r·K .. r·K + K - 1}. {@link #matmul4bit} computes in the dtype of its input, whatever the
 * weight was quantized from; see {@link #matmul4bit(Tensor, Tensor, QuantState)} for the paths it takes.
 *
 * <p>Inputs: F32, F16 or BF16, on the CPU or a CUDA device, all tensors of one call on one device. Every
 * argument is checked before anything is allocated or written; every native call holds a {@link TensorUse} of
 * the tensors it passes. CUDA work is queued on the current stream.
 */
public final class FourBit {
    private FourBit() {
    }

    /**
     * Quantizes {@code a} to 4 bits with per-block absmax scales. Does not modify {@code a}.
     *
     * @param a       F32, F16 or BF16 tensor of any shape
     * @param options quant type, blocksize (32 .. 4096), absmax storage
     * @return the packed codes (U8 [ceil(n / 2)]) and their {@link FourBitState} (shape and dtype of {@code a});
     *         the caller closes it
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if {@code a} is closed
     */
    public static FourBitQuantized quantize(Tensor a, FourBitOptions options) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(options, "options");
        FourBitArgs.requireFloat(a, "quantize4bit");
        Device d = a.device();
        Blocksize bs = options.blocksize();
        Tensor packed = null;
        Tensor absmax = null;
        Tensor code = null;
        AbsmaxScales scales = null;
        try {
            packed = Tensor.empty(DType.U8, d, packedBytes(a.numel()));
            absmax = Tensor.empty(DType.F32, d, bs.blocks(a.numel()));
            try (TensorUse use = TensorUse.of(a, absmax, packed)) {
                NativeFourBit.quantize(FourBitArgs.table(options.quantType()), a, absmax, packed, bs.value());
            }
            code = CodeBookTensors.fourBit(options.quantType(), d);
            if (options.absmax() == AbsmaxStorage.PLAIN) {
                scales = new AbsmaxScales.Plain(absmax);
            } else {
                scales = DoubleQuantization.quantize(absmax, Blocksize.of(NativeFourBit.NESTED_BLOCKSIZE));
                absmax.close();
            }
            return new FourBitQuantized(packed, new FourBitState(a.shape(), a.dtype(), bs, options.quantType(), code,
                    scales));
        } catch (RuntimeException e) {
            if (scales != null) {
                scales.close(); // plain scales hold absmax, closed again below: closing twice is harmless
            }
            for (Tensor t : new Tensor[] {packed, absmax, code}) {
                if (t != null) {
                    t.close();
                }
            }
            throw e;
        }
    }

    /**
     * Quantizes {@code a} into caller-owned outputs, allocating nothing (upstream's {@code out=} and {@code absmax=}
     * arguments). Plain absmax only.
     *
     * @param a         F32, F16 or BF16 input
     * @param packedOut U8 tensor of {@code ceil(n / 2)} elements (any shape), on {@code a}'s device
     * @param absmaxOut F32 tensor of {@code ceil(n / blocksize)} elements, on {@code a}'s device
     * @param options   quant type and blocksize; its absmax storage must be PLAIN
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if an output has the wrong dtype, size or device, or the options ask for
     *                                       nested absmax; nothing is written then
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void quantizeInto(Tensor a, Tensor packedOut, Tensor absmaxOut, FourBitOptions options) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(packedOut, "packedOut");
        Objects.requireNonNull(absmaxOut, "absmaxOut");
        Objects.requireNonNull(options, "options");
        FourBitArgs.requireFloat(a, "quantize4bitInto");
        if (options.absmax() != AbsmaxStorage.PLAIN) {
            throw new IllegalArgumentException("quantize4bitInto: options.absmax must be PLAIN, got "
                    + options.absmax() + "; use quantize for nested absmax");
        }
        long n = a.numel();
        requireSized(packedOut, DType.U8, packedBytes(n), a.device(), "packedOut");
        requireSized(absmaxOut, DType.F32, options.blocksize().blocks(n), a.device(), "absmaxOut");
        try (TensorUse use = TensorUse.of(a, absmaxOut, packedOut)) {
            NativeFourBit.quantize(FourBitArgs.table(options.quantType()), a, absmaxOut, packedOut,
                    options.blocksize().value());
        }
    }

    /**
     * Dequantizes packed codes made by {@link #quantize} (or loaded with {@link FourBitStateDict}). Does not
     * modify its inputs.
     *
     * @param packed U8 tensor of {@code ceil(numel / 2)} bytes of the state's shape (any shape; upstream stores
     *               [bytes, 1]), on the state's device
     * @param state  a {@link FourBitState}
     * @return a new tensor of the state's dtype and shape
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the state is an 8-bit state, {@code packed} is not U8 or its byte count
     *                                  does not match the state's shape, or the devices differ
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Tensor dequantize(Tensor packed, QuantState state) {
        FourBitState s = FourBitArgs.requirePacked(packed, state);
        return dequantizeAs(packed, s, s.dtype(), s.shape());
    }

    /**
     * Dequantizes into a caller-owned tensor, allocating nothing (except for nested scales whose nested blocksize
     * is not 256, which are first rebuilt).
     *
     * @param out F32, F16 or BF16 tensor with the state's element count (any shape), on the state's device; the
     *            values are computed in f32 and rounded once to {@code out}'s dtype
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code out}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      as {@link #dequantize}, or if {@code out} has another element count or
     *                                       device; {@code out} is then unchanged
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void dequantizeInto(Tensor packed, QuantState state, Tensor out) {
        FourBitState s = FourBitArgs.requirePacked(packed, state);
        Objects.requireNonNull(out, "out");
        FourBitArgs.requireFloat(out, "dequantize4bitInto");
        requireSized(out, out.dtype(), s.numel(), s.device(), "out");
        run(packed, s, out);
    }

    /**
     * {@code a · Wᵀ}: the {@code nn.Linear} product with the 4-bit weight W [N, K] that {@code state} describes.
     *
     * <p>The compute dtype is {@code a}'s (sums in f32, the output rounded to {@code a}'s dtype), also when the
     * weight was quantized from another dtype; an F32 input with a 16-bit weight is logged once at INFO with what
     * it costs (upstream computes in F32 silently). With M rows (the product of {@code a}'s leading dimensions):
     * M ≤ 16 runs the fused GEMV, which reads the packed weight once (on CUDA with F16/BF16 inputs on tensor cores,
     * with the 16 code values rounded to {@code a}'s dtype as upstream's kernel does; elsewhere in f32); larger M
     * dequantizes W into a temporary of {@code a}'s dtype (freed before returning) and runs the dense
     * {@link Gemm}. M = 0 gives an empty result.
     *
     * @param a            F32, F16 or BF16 [..., K]
     * @param packedWeight U8, {@code ceil(N·K / 2)} bytes (any shape)
     * @param state        a {@link FourBitState} of shape [N, K], N, K ≥ 1, on {@code a}'s device
     * @return a new tensor [..., N] of {@code a}'s dtype
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the state is an 8-bit state or not of rank 2, {@code packedWeight}
     *                                       does not match it, {@code a}'s last dimension is not K, or the devices
     *                                       differ
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor matmul4bit(Tensor a, Tensor packedWeight, QuantState state) {
        return FourBitProduct.forward(a, packedWeight, state, null);
    }

    /**
     * {@code a · Wᵀ + bias}; see {@link #matmul4bit(Tensor, Tensor, QuantState)}.
     *
     * @param bias [N] of {@code a}'s dtype, on {@code a}'s device
     * @throws IllegalArgumentException as {@link #matmul4bit(Tensor, Tensor, QuantState)}, or if {@code bias} is
     *                                  not [N] of {@code a}'s dtype on its device
     */
    public static Tensor matmul4bit(Tensor a, Tensor packedWeight, QuantState state, Tensor bias) {
        return FourBitProduct.forward(a, packedWeight, state, Objects.requireNonNull(bias, "bias"));
    }

    /**
     * {@code out = a · Wᵀ} into a caller-owned tensor; the fused path (M ≤ 16) allocates nothing.
     *
     * @param out [..., N] ({@code a}'s shape with its last dimension N) of {@code a}'s dtype, on its device
     * @throws IllegalArgumentException as {@link #matmul4bit(Tensor, Tensor, QuantState)}, or if {@code out} does
     *                                  not fit; {@code out} is then unchanged
     */
    public static void matmul4bitInto(Tensor a, Tensor packedWeight, QuantState state, Tensor out) {
        FourBitProduct.forwardInto(a, packedWeight, state, null, out);
    }

    /**
     * {@code out = a · Wᵀ + bias} into a caller-owned tensor; see
     * {@link #matmul4bitInto(Tensor, Tensor, QuantState, Tensor)}.
     *
     * @throws IllegalArgumentException as {@link #matmul4bit(Tensor, Tensor, QuantState, Tensor)}, or if
     *                                  {@code out} does not fit; {@code out} is then unchanged
     */
    public static void matmul4bitInto(Tensor a, Tensor packedWeight, QuantState state, Tensor bias, Tensor out) {
        FourBitProduct.forwardInto(a, packedWeight, state, Objects.requireNonNull(bias, "bias"), out);
    }

    /**
     * The gradient of {@link #matmul4bit} with respect to its input: {@code gradIn = gradOut · W} (upstream's
     * {@code MatMul4Bit.backward}; the 4-bit weight is frozen, so there is no weight gradient). W is dequantized
     * into a temporary of {@code gradOut}'s dtype, which is also the compute dtype, and multiplied by the dense
     * {@link Gemm}.
     *
     * @param gradOut      F32, F16 or BF16 [..., N]
     * @param packedWeight U8, {@code ceil(N·K / 2)} bytes (any shape)
     * @param state        a {@link FourBitState} of shape [N, K], on {@code gradOut}'s device
     * @return a new tensor [..., K] of {@code gradOut}'s dtype
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code gradOut}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the state is an 8-bit state or not of rank 2, {@code packedWeight}
     *                                       does not match it, {@code gradOut}'s last dimension is not N, or the
     *                                       devices differ
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor matmul4bitBackward(Tensor gradOut, Tensor packedWeight, QuantState state) {
        return FourBitProduct.backward(gradOut, packedWeight, state);
    }

    /** Dequantizes checked packed codes into a new tensor of {@code dtype} and {@code shape}. */
    static Tensor dequantizeAs(Tensor packed, FourBitState s, DType dtype, long... shape) {
        Tensor out = Tensor.empty(dtype, packed.device(), shape);
        try {
            run(packed, s, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static void run(Tensor packed, FourBitState s, Tensor out) {
        try (KernelScales scales = KernelScales.of(s);
                TensorUse use = TensorUse.of(FourBitArgs.join(scales.tensors(), packed, out))) {
            NativeFourBit.dequantize(FourBitArgs.table(s.quantType()), packed, scales.scales(), out,
                    s.blocksize().value());
        }
    }

    private static long packedBytes(long n) {
        return n / 2 + n % 2;
    }

    private static void requireSized(Tensor t, DType dtype, long numel, Device device, String name) {
        if (t.dtype() != dtype || t.numel() != numel || !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be " + dtype + " with " + numel + " elements on " + device
                    + ", got " + t);
        }
    }
}
