package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The 4-bit family of the C API ({@code bnb/fourbit.h}): NF4/FP4 quantize, dequantize and the fused GEMV, on the
 * CPU or (on the calling thread's current stream) a CUDA device, with plain or nested absmax scales. The
 * functional ops have checked dtypes, devices and sizes and hold a use of every tensor passed here (see
 * {@link Scales#tensors()}). Internal: see the package documentation.
 */
public final class NativeFourBit {
    /** Rows the fused GEMV takes in one call ({@code BNB_GEMV_4BIT_MAX_ROWS}). */
    public static final int GEMV_MAX_ROWS = BnbC.BNB_GEMV_4BIT_MAX_ROWS;
    /** Values per block of the nested absmax that the kernels undo themselves ({@code BNB_NESTED_BLOCKSIZE}). */
    public static final int NESTED_BLOCKSIZE = BnbC.BNB_NESTED_BLOCKSIZE;

    /**
     * The calling thread's C struct of nested scales, refilled for this call (host memory holding device pointers
     * for CUDA). One per thread rather than one per call: a new struct is a native allocation and a deallocator to
     * register, microseconds of host time per GEMV. A thread runs one call at a time, and the native functions read
     * the struct only during the call. The extra reference keeps an enclosing JavaCPP PointerScope from freeing it.
     */
    private static final ThreadLocal<BnbC.bnb_4bit_nested_absmax> NESTED = ThreadLocal
            .withInitial(() -> new BnbC.bnb_4bit_nested_absmax().retainReference());

    private NativeFourBit() {
    }

    /** The 4-bit code books the kernels know, with the C API's numbers ({@code BNB_QUANT_*}). */
    public enum Table {
        NF4(BnbC.BNB_QUANT_NF4), FP4(BnbC.BNB_QUANT_FP4);

        private final int code;

        Table(int code) {
            this.code = code;
        }
    }

    /** The per-block scales as the kernels read them. */
    public sealed interface Scales permits Scales.Plain, Scales.Nested {
        /** Every tensor the kernels read, for the caller's {@link io.github.bnb4j.core.TensorUse}. */
        Tensor[] tensors();

        /**
         * One F32 absmax per block.
         *
         * @param absmax F32 [blocks]
         */
        record Plain(Tensor absmax) implements Scales {
            @Override
            public Tensor[] tensors() {
                return new Tensor[] {absmax};
            }
        }

        /**
         * {@code absmax[b] = code[codes[b]] * absmax2[b / 256] + offset[0]}, undone inside the kernels.
         *
         * @param codes   U8 [blocks]
         * @param code    F32 [256] code book of the codes
         * @param absmax2 F32 [ceil(blocks / 256)]
         * @param offset  F32 [1]
         */
        record Nested(Tensor codes, Tensor code, Tensor absmax2, Tensor offset) implements Scales {
            @Override
            public Tensor[] tensors() {
                return new Tensor[] {codes, code, absmax2, offset};
            }
        }
    }

    /**
     * absmax[b] = max |a| over block b; packed[i / 2] holds the code of a[i] * (1 / absmax[b]), high nibble first.
     *
     * @param a      F32/F16/BF16 [n]
     * @param absmax F32 [ceil(n / blocksize)], written
     * @param packed U8 [ceil(n / 2)], written
     */
    public static void quantize(Table table, Tensor a, Tensor absmax, Tensor packed, int blocksize) {
        Device d = a.device();
        int dtype = a.dtype().code();
        long n = a.numel();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_quantize_4bit(dtype, table.code, a.pointer(), f32(absmax), u8(packed), blocksize, n)
                : BnbC.bnb_cuda_quantize_4bit(dtype, table.code, a.pointer(), f32(absmax), u8(packed), blocksize,
                        n, stream(d));
        check(status, "quantize4bit on " + d, d);
    }

    /**
     * out[i] = value(code i) * absmax[i / blocksize], computed in f32 and rounded to out's dtype.
     *
     * @param packed U8 [ceil(n / 2)]
     * @param out    F32/F16/BF16 [n], written
     */
    public static void dequantize(Table table, Tensor packed, Scales scales, Tensor out, int blocksize) {
        Device d = packed.device();
        int dtype = out.dtype().code();
        long n = out.numel();
        int status;
        if (scales instanceof Scales.Plain p) {
            status = d.isCpu()
                    ? BnbC.bnb_cpu_dequantize_4bit(dtype, table.code, u8(packed), f32(p.absmax()), out.pointer(),
                            blocksize, n)
                    : BnbC.bnb_cuda_dequantize_4bit(dtype, table.code, u8(packed), f32(p.absmax()), out.pointer(),
                            blocksize, n, stream(d));
        } else {
            BnbC.bnb_4bit_nested_absmax s = nested((Scales.Nested) scales);
            status = d.isCpu()
                    ? BnbC.bnb_cpu_dequantize_4bit_nested(dtype, table.code, u8(packed), s, out.pointer(), blocksize,
                            n)
                    : BnbC.bnb_cuda_dequantize_4bit_nested(dtype, table.code, u8(packed), s, out.pointer(), blocksize,
                            n, stream(d));
        }
        check(status, "dequantize4bit on " + d, d);
    }

    /**
     * out[i, j] = sum_k a[i, k] * W[j, k] (+ bias[j]) for the 4-bit weight W [n, k], read once; f32 sums, out
     * rounded to a's dtype once.
     *
     * @param a      F32/F16/BF16 [m, k], m in 1 .. {@link #GEMV_MAX_ROWS}
     * @param packed U8 [ceil(n * k / 2)]
     * @param bias   [n] of a's dtype, or null for none
     * @param out    [m, n] of a's dtype, written
     */
    public static void gemv(Table table, Tensor a, Tensor packed, Scales scales, Tensor bias, Tensor out, long m,
                            long n, long k, int blocksize) {
        Device d = a.device();
        int dtype = a.dtype().code();
        Pointer b = bias == null ? null : bias.pointer();
        int status;
        if (scales instanceof Scales.Plain p) {
            status = d.isCpu()
                    ? BnbC.bnb_cpu_gemv_4bit(dtype, table.code, a.pointer(), u8(packed), f32(p.absmax()), b,
                            out.pointer(), m, n, k, blocksize)
                    : BnbC.bnb_cuda_gemv_4bit(dtype, table.code, a.pointer(), u8(packed), f32(p.absmax()), b,
                            out.pointer(), m, n, k, blocksize, stream(d));
        } else {
            BnbC.bnb_4bit_nested_absmax s = nested((Scales.Nested) scales);
            status = d.isCpu()
                    ? BnbC.bnb_cpu_gemv_4bit_nested(dtype, table.code, a.pointer(), u8(packed), s, b, out.pointer(),
                            m, n, k, blocksize)
                    : BnbC.bnb_cuda_gemv_4bit_nested(dtype, table.code, a.pointer(), u8(packed), s, b, out.pointer(),
                            m, n, k, blocksize, stream(d));
        }
        check(status, "gemv4bit on " + d, d);
    }

    private static BnbC.bnb_4bit_nested_absmax nested(Scales.Nested s) {
        return NESTED.get().codes(u8(s.codes())).code(f32(s.code())).absmax2(f32(s.absmax2())).offset(f32(s.offset()));
    }

    /** The current stream of a CUDA device; CudaStream.current checks once that CUDA is usable. */
    private static Pointer stream(Device d) {
        return CudaStream.current(d).pointer();
    }

    private static void check(int status, String operation, Device d) {
        NativeStatus.check(status, operation, OutOfDeviceMemoryException.UNKNOWN,
                () -> d.isCuda() ? NativeRuntime.freeBytes(d) : OutOfDeviceMemoryException.UNKNOWN);
    }

    private static FloatPointer f32(Tensor t) {
        assert t.dtype() == DType.F32;
        return new FloatPointer(t.pointer());
    }

    private static BytePointer u8(Tensor t) {
        return new BytePointer(t.pointer());
    }
}
