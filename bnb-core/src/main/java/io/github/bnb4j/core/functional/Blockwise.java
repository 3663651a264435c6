package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
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
 */
public final class Blockwise {
    private static final Set<DType> INPUT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Blockwise() {
    }

    /** {@link #quantize(Tensor, BlockwiseOptions)} with {@link BlockwiseOptions#defaults()}. */
    public static Quantized quantize(Tensor a) {
        return quantize(a, BlockwiseOptions.defaults());
    }

    /**
     * Quantizes {@code a} to 8-bit codes with per-block absmax scales. Does not modify {@code a}.
     *
     * @param a       F32, F16 or BF16 tensor of any shape
     * @param options blocksize (64 .. 4096), code book, absmax storage
     * @return the codes (U8, shape of {@code a}) and their {@link QuantState}; the caller closes it
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if the blocksize is not 64 .. 4096, the code book is not F32
     *                                       [256], or tensors are on different devices
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Quantized quantize(Tensor a, BlockwiseOptions options) {
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
            NativeQuant.quantizeBlockwise(code, a, absmax, codes, blocksize.value());
            if (storage == AbsmaxStorage.PLAIN) {
                return new Quantized(codes, new QuantState(absmax, a.shape(), code, blocksize, null, a.dtype(), null,
                        null));
            }
            Nested nested = Nested.quantize(absmax, blocksize);
            absmax.close();
            return new Quantized(codes, new QuantState(nested.codes(), a.shape(), code, blocksize, null, a.dtype(),
                    nested.offset(), nested.state()));
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
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if an output has the wrong dtype, size or device, or the options
     *                                       ask for nesting
     */
    public static void quantizeInto(Tensor a, Tensor codesOut, Tensor absmaxOut, BlockwiseOptions options) {
        requireInput(a, "quantizeBlockwiseInto");
        options.blocksize().require(Blocksize.EIGHT_BIT, "quantizeBlockwiseInto");
        if (options.absmax() != AbsmaxStorage.PLAIN) {
            throw new IllegalArgumentException("quantizeBlockwiseInto: absmax must be PLAIN, got " + options.absmax());
        }
        Device d = a.device();
        requireOutput(codesOut, DType.U8, a.numel(), d, "codesOut");
        requireOutput(absmaxOut, DType.F32, options.blocksize().blocks(a.numel()), d, "absmaxOut");
        Tensor code = options.code() != null ? options.code() : CodeBookTensors.sharedDynamicSigned(d);
        requireCode(code, d);
        NativeQuant.quantizeBlockwise(code, a, absmaxOut, codesOut, options.blocksize().value());
    }

    /**
     * Dequantizes into a caller-owned tensor, allocating nothing for plain states.
     *
     * @param out tensor of the state's dtype with the state's element count, on the codes' device
     * @throws IllegalArgumentException as {@link #dequantize}, or if {@code out} does not fit
     */
    public static void dequantizeInto(Tensor codes, QuantState state, Tensor out) {
        requireCodes(codes, state);
        requireOutput(out, state.dtype(), state.numel(), codes.device(), "out");
        Tensor absmax = Nested.absmaxOf(state);
        try {
            NativeQuant.dequantizeBlockwise(state.code(), codes, absmax, out, state.blocksize().value());
        } finally {
            if (absmax != state.absmax()) {
                absmax.close();
            }
        }
    }

    /**
     * Dequantizes codes made by {@link #quantize}. Does not modify its inputs.
     *
     * @param codes U8 codes, on the device of the state's tensors
     * @param state the state {@link #quantize} returned with them (8-bit, not 4-bit)
     * @return a new tensor of the state's dtype and shape on the codes' device
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

    private static void requireCodes(Tensor codes, QuantState state) {
        if (codes.dtype() != DType.U8) {
            throw new IllegalArgumentException("codes must be U8, got " + codes.dtype());
        }
        if (state.quantType() != null) {
            throw new IllegalArgumentException("state must be an 8-bit blockwise state, got a "
                    + state.quantType() + " state; use the 4-bit functions");
        }
        if (codes.numel() != state.numel()) {
            throw new IllegalArgumentException("codes must hold " + state.numel() + " elements for shape "
                    + Arrays.toString(state.shape()) + ", got " + codes.numel());
        }
        requireSameDevice(codes.device(), state);
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

    private static void requireCode(Tensor code, Device device) {
        if (code.dtype() != DType.F32 || code.numel() != 256) {
            throw new IllegalArgumentException("code must be an F32 tensor of 256 ascending values, got " + code);
        }
        if (!code.device().equals(device)) {
            throw new IllegalArgumentException("code must be on " + device + " like the input, got " + code.device());
        }
    }

    static void requireSameDevice(Device d, QuantState state) {
        if (!state.absmax().device().equals(d) || !state.code().device().equals(d)) {
            throw new IllegalArgumentException("codes are on " + d + " but the state's tensors are on "
                    + state.absmax().device() + "; move them to one device");
        }
    }
}
