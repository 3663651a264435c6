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
 * The quantization family of the C API ({@code bnb/quant.h}): picks the CPU or CUDA entry point from the device,
 * passes the tensors' element counts as the buffer lengths the C API checks, and queues CUDA work on the calling
 * thread's current stream. The functional ops validate the arguments first (dtypes, devices, shapes); the C API's
 * own checks are the last line. Internal: see the package documentation.
 */
public final class NativeQuant {
    private NativeQuant() {
    }

    /**
     * absmax[b] = max |a| over block b; out[i] = the code nearest a[i] / absmax[b].
     *
     * @param code   F32 [256] code book
     * @param a      F32/F16/BF16 [n]
     * @param absmax F32 [ceil(n / blocksize)], written
     * @param out    U8 [n], written
     */
    public static void quantizeBlockwise(Tensor code, Tensor a, Tensor absmax, Tensor out, int blocksize) {
        Device d = a.device();
        int dtype = a.dtype().code();
        long n = a.numel();
        FloatPointer c = f32(code);
        FloatPointer m = f32(absmax);
        BytePointer o = u8(out);
        int status = d.isCpu()
                ? BnbC.bnb_cpu_quantize_blockwise(dtype, c, code.numel(), a.pointer(), m, absmax.numel(), o,
                        blocksize, n)
                : BnbC.bnb_cuda_quantize_blockwise(dtype, c, code.numel(), a.pointer(), m, absmax.numel(), o,
                        blocksize, n, stream(d));
        check(status, "quantizeBlockwise on " + d, d);
    }

    /**
     * out[i] = code[a[i]] * absmax[i / blocksize], rounded to out's dtype.
     *
     * @param code   F32 [256] code book
     * @param a      U8 [n] codes
     * @param absmax F32 [ceil(n / blocksize)]
     * @param out    F32/F16/BF16 [n], written
     */
    public static void dequantizeBlockwise(Tensor code, Tensor a, Tensor absmax, Tensor out, int blocksize) {
        Device d = a.device();
        int dtype = out.dtype().code();
        long n = out.numel();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_dequantize_blockwise(dtype, f32(code), code.numel(), u8(a), f32(absmax),
                        absmax.numel(), out.pointer(), blocksize, n)
                : BnbC.bnb_cuda_dequantize_blockwise(dtype, f32(code), code.numel(), u8(a), f32(absmax),
                        absmax.numel(), out.pointer(), blocksize, n, stream(d));
        check(status, "dequantizeBlockwise on " + d, d);
    }

    /** mean[0] = mean(x); out = x - mean[0]. x, out: F32 [n]; mean: F32 [1]. */
    public static void center(Tensor x, Tensor out, Tensor mean) {
        Device d = x.device();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_center_f32(f32(x), f32(out), f32(mean), x.numel())
                : BnbC.bnb_cuda_center_f32(f32(x), f32(out), f32(mean), x.numel(), stream(d));
        check(status, "center on " + d, d);
    }

    /** out = x + offset[0]. x, out: F32 [n]; offset: F32 [1]. */
    public static void addOffset(Tensor x, Tensor out, Tensor offset) {
        Device d = x.device();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_add_offset_f32(f32(x), f32(out), f32(offset), x.numel())
                : BnbC.bnb_cuda_add_offset_f32(f32(x), f32(out), f32(offset), x.numel(), stream(d));
        check(status, "addOffset on " + d, d);
    }

    /** The current stream of a CUDA device; CudaStream.current checks once that CUDA is usable. */
    private static Pointer stream(Device d) {
        return CudaStream.current(d).pointer();
    }

    /** A CUDA kernel's temporary allocation can run out of memory: report the device's free bytes. */
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
