package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeQuant;

/**
 * 8-bit blockwise quantization with a 256-entry code book (upstream {@code quantize_blockwise} /
 * {@code dequantize_blockwise}).
 *
 * <p>For each block {@code b} of {@code blocksize} consecutive elements of the flattened input {@code A}
 * (the last block may be shorter):
 * <pre>
 *   absmax[b] = max |A[i]|,  i in block b
 *   codes[i]  = argmin_j |code[j] - A[i] * (1 / absmax[b])|   (exact midpoint ties go to the even j)
 *   dequant   = code[codes[i]] * absmax[b]                     (f32 math, rounded to the input dtype)
 * </pre>
 * With {@link AbsmaxStorage#NESTED}, {@code offset = mean(absmax)} and {@code absmax - offset} is itself
 * quantized with the signed dynamic map and the same blocksize.
 *
 * <p>Inputs: F32, F16 or BF16 of any shape, on the CPU or a CUDA device; all tensors of one call on one
 * device. Codes: U8 with the input's shape. Results are bit-identical on the CPU and CUDA backends.
 *
 * <p>Every argument is checked in Java before a kernel runs (a {@link BlockwiseState} is validated when
 * built; the codes are checked against it here), and every call holds a {@link TensorUse} of the tensors it
 * passes to native code, so closing one of them on another thread cannot crash the JVM.
 */
public final class Blockwise {
    private static final Set<DType> INPUT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Blockwise() {
    }

    /**
     * {@link #quantize(Tensor, BlockwiseOptions)} with {@link BlockwiseOptions#defaults()}.
     *
     * @throws NullPointerException if {@code a} is null
     */
    public static Quantized quantize(Tensor a) {
        return quantize(a, BlockwiseOptions.defaults());
    }

    /**
     * Quantizes {@code a} to 8-bit codes with per-block absmax scales. Does not modify {@code a}.
     *
     * @param a       F32, F16 or BF16 tensor of any shape
     * @param options blocksize (64 .. 4096), code book, absmax storage
     * @return the codes (U8, shape of {@code a}) and their {@link BlockwiseState}; the caller closes it
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the blocksize is not 64 .. 4096, the code book is not F32
     *                                       [256] of ascending finite values, or tensors are on different
     *                                       devices
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Quantized quantize(Tensor a, BlockwiseOptions options) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(options, "options");
        requireInput(a, "quantizeBlockwise");
        options.blocksize().require(Blocksize.EIGHT_BIT, "quantizeBlockwise");
        Tensor userCode = options.code();
        if (userCode != null) {
            requireCode(userCode, a.device());
        }
        Tensor code = userCode != null ? userCode.to(a.device()) : CodeBookTensors.dynamicSigned(a.device());
        return quantizeWith(a, code, options.blocksize(), options.absmax());
    }

    /** Quantizes with {@code code}, which this call owns: the returned state keeps it, a failure closes it. */
    static Quantized quantizeWith(Tensor a, Tensor code, Blocksize blocksize, AbsmaxStorage storage) {
        Device d = a.device();
        long blocks = blocksize.blocks(a.numel());
        Tensor codes = null;
        Tensor absmax = null;
        try {
            codes = Tensor.empty(DType.U8, d, a.shape());
            absmax = Tensor.empty(DType.F32, d, blocks);
            try (TensorUse use = TensorUse.of(code, a, absmax, codes)) {
                NativeQuant.quantizeBlockwise(code, a, absmax, codes, blocksize.value());
            }
            if (storage == AbsmaxStorage.PLAIN) {
                return new Quantized(codes, new BlockwiseState(a.shape(), a.dtype(), blocksize, code,
                        new AbsmaxScales.Plain(absmax)));
            }
            AbsmaxScales.Nested nested = DoubleQuantization.quantize(absmax, blocksize);
            absmax.close();
            return new Quantized(codes, new BlockwiseState(a.shape(), a.dtype(), blocksize, code, nested));
        } catch (RuntimeException e) {
            closeAll(codes, absmax, code);
            throw e;
        }
    }

    private static void closeAll(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }

    /**
     * Quantizes {@code a} into caller-owned outputs, allocating nothing (upstream's {@code out=} and
     * {@code absmax=} arguments). Plain absmax only.
     *
     * @param a         F32, F16 or BF16 input
     * @param codesOut  U8 tensor with {@code a.numel()} elements, on {@code a}'s device
     * @param absmaxOut F32 tensor with {@code ceil(n / blocksize)} elements, on {@code a}'s device
     * @param options   blocksize and code book; its absmax storage must be PLAIN
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if an output has the wrong dtype, size or device, the code book
     *                                       is not F32 [256] of ascending finite values, or the options ask
     *                                       for nesting
     * @throws IllegalStateException         if a tensor is closed
     */
    public static void quantizeInto(Tensor a, Tensor codesOut, Tensor absmaxOut, BlockwiseOptions options) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(codesOut, "codesOut");
        Objects.requireNonNull(absmaxOut, "absmaxOut");
        Objects.requireNonNull(options, "options");
        requireInput(a, "quantizeBlockwiseInto");
        options.blocksize().require(Blocksize.EIGHT_BIT, "quantizeBlockwiseInto");
        if (options.absmax() != AbsmaxStorage.PLAIN) {
            throw new IllegalArgumentException("quantizeBlockwiseInto: absmax must be PLAIN, got " + options.absmax());
        }
        Device d = a.device();
        requireOutput(codesOut, DType.U8, a.numel(), d, "codesOut");
        requireOutput(absmaxOut, DType.F32, options.blocksize().blocks(a.numel()), d, "absmaxOut");
        Tensor code = options.code() != null ? options.code() : CodeBookTensors.sharedDynamicSigned(d);
        if (options.code() != null) {
            requireCode(code, d);
        }
        try (TensorUse use = TensorUse.of(code, a, absmaxOut, codesOut)) {
            NativeQuant.quantizeBlockwise(code, a, absmaxOut, codesOut, options.blocksize().value());
        }
    }

    /**
     * Dequantizes into a caller-owned tensor, allocating nothing for plain states.
     *
     * @param out tensor of the state's dtype with the state's element count, on the codes' device
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as {@link #dequantize}, or if {@code out} does not fit
     * @throws IllegalStateException    if a tensor is closed
     */
    public static void dequantizeInto(Tensor codes, QuantState state, Tensor out) {
        BlockwiseState s = requireCodes(codes, state);
        Objects.requireNonNull(out, "out");
        requireOutput(out, s.dtype(), s.numel(), codes.device(), "out");
        Tensor absmax = DoubleQuantization.absmaxOf(s.scales());
        try (TensorUse use = TensorUse.of(s.code(), codes, absmax, out)) {
            NativeQuant.dequantizeBlockwise(s.code(), codes, absmax, out, s.blocksize().value());
        } finally {
            if (s.isNested()) {
                absmax.close();
            }
        }
    }

    /**
     * Dequantizes codes made by {@link #quantize}. Does not modify its inputs.
     *
     * @param codes U8 codes, on the device of the state's tensors
     * @param state the state {@link #quantize} returned with them (a {@link BlockwiseState}, not 4-bit)
     * @return a new tensor of the state's dtype and shape on the codes' device
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if codes are not U8, their count differs from the state's shape, the
     *                                  state is a 4-bit state, or tensors are on different devices
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Tensor dequantize(Tensor codes, QuantState state) {
        requireCodes(codes, state);
        Tensor out = Tensor.empty(state.dtype(), codes.device(), state.shape());
        try {
            dequantizeInto(codes, state, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Checks codes against an 8-bit state (which checked itself when built) and returns the state. */
    private static BlockwiseState requireCodes(Tensor codes, QuantState state) {
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(state, "state");
        if (codes.dtype() != DType.U8) {
            throw new IllegalArgumentException("codes must be U8, got " + codes.dtype());
        }
        if (!(state instanceof BlockwiseState s)) {
            throw new IllegalArgumentException("state must be an 8-bit BlockwiseState, got " + state
                    + "; use the 4-bit functions");
        }
        if (codes.numel() != s.numel()) {
            throw new IllegalArgumentException("codes must hold " + s.numel() + " elements for shape "
                    + Arrays.toString(s.shape()) + ", got " + codes.numel());
        }
        if (!s.device().equals(codes.device())) {
            throw new IllegalArgumentException("codes are on " + codes.device() + " but the state's tensors are on "
                    + s.device() + "; move them to one device");
        }
        return s;
    }

    private static void requireOutput(Tensor t, DType dtype, long numel, Device device, String name) {
        if (t.dtype() != dtype || t.numel() != numel || !t.device().equals(device)) {
            throw new IllegalArgumentException(name + " must be " + dtype + " with " + numel + " elements on "
                    + device + ", got " + t);
        }
    }

    static void requireInput(Tensor a, String op) {
        if (!INPUT_TYPES.contains(a.dtype())) {
            throw new UnsupportedOperationException(op + " does not support dtype " + a.dtype() + " on "
                    + a.device() + "; supported: " + INPUT_TYPES);
        }
    }

    /**
     * A caller's code book: F32 [256] on the input's device, finite and ascending, which the kernels' binary
     * search needs (anything else quantizes to garbage). Reads the values, so a GPU code book is copied.
     */
    private static void requireCode(Tensor code, Device device) {
        if (code.dtype() != DType.F32 || code.numel() != BlockwiseState.CODE_SIZE) {
            throw new IllegalArgumentException("code must be an F32 tensor of 256 ascending values, got " + code);
        }
        if (!code.device().equals(device)) {
            throw new IllegalArgumentException("code must be on " + device + " like the input, got " + code.device());
        }
        float[] values = code.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i]) || (i > 0 && values[i] < values[i - 1])) {
                throw new IllegalArgumentException("code must hold 256 finite values in ascending order, but code["
                        + i + "] = " + values[i] + (i > 0 ? " follows code[" + (i - 1) + "] = " + values[i - 1] : ""));
            }
        }
    }
}
