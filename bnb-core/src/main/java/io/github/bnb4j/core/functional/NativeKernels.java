package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.Bnb;
import io.github.bnb4j.nativelib.BnbC;
import io.github.bnb4j.nativelib.NativeStatus;
import io.github.bnb4j.nativelib.cublas.CublasLt;
import io.github.bnb4j.nativelib.cublas.LtGemm;
import io.github.bnb4j.nativelib.cublas.LtType;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The one place the functional ops call the C API: picks the CPU or CUDA entry point from the device and
 * passes the current stream. Arguments are validated by the callers.
 */
final class NativeKernels {
    private NativeKernels() {
    }

    static void quantizeBlockwise(Tensor code, Tensor a, Tensor absmax, Tensor out, int blocksize) {
        Device d = a.device();
        int dtype = a.dtype().code();
        long n = a.numel();
        FloatPointer c = f32(code);
        FloatPointer m = f32(absmax);
        BytePointer o = u8(out);
        int status = d.isCpu()
                ? BnbC.bnb_cpu_quantize_blockwise(dtype, c, a.pointer(), m, o, blocksize, n)
                : BnbC.bnb_cuda_quantize_blockwise(dtype, c, a.pointer(), m, o, blocksize, n, stream(d));
        NativeStatus.check(status, "quantizeBlockwise on " + d);
    }

    static void dequantizeBlockwise(Tensor code, Tensor a, Tensor absmax, Tensor out, int blocksize) {
        Device d = a.device();
        int dtype = out.dtype().code();
        long n = out.numel();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_dequantize_blockwise(dtype, f32(code), u8(a), f32(absmax), out.pointer(), blocksize, n)
                : BnbC.bnb_cuda_dequantize_blockwise(dtype, f32(code), u8(a), f32(absmax), out.pointer(), blocksize,
                        n, stream(d));
        NativeStatus.check(status, "dequantizeBlockwise on " + d);
    }

    /** out = x - mean(x); mean[0] = mean(x). */
    static void center(Tensor x, Tensor out, Tensor mean) {
        Device d = x.device();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_center_f32(f32(x), f32(out), f32(mean), x.numel())
                : BnbC.bnb_cuda_center_f32(f32(x), f32(out), f32(mean), x.numel(), stream(d));
        NativeStatus.check(status, "center on " + d);
    }

    /** out = x + offset[0]. */
    static void addOffset(Tensor x, Tensor out, Tensor offset) {
        Device d = x.device();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_add_offset_f32(f32(x), f32(out), f32(offset), x.numel())
                : BnbC.bnb_cuda_add_offset_f32(f32(x), f32(out), f32(offset), x.numel(), stream(d));
        NativeStatus.check(status, "addOffset on " + d);
    }

    /** The row-major GEMM of {@link Gemm}; arguments checked there. bias may be null. */
    static void gemm(DType dtype, boolean ta, boolean tb, long m, long n, long k, long lda, long ldb, float alpha,
                     float beta, Tensor a, Tensor b, Tensor bias, Tensor out) {
        Device d = a.device();
        if (d.isCpu()) {
            try (BnbC.bnb_gemm_desc desc = new BnbC.bnb_gemm_desc()) {
                desc.dtype(dtype.code()).trans_a(ta ? 1 : 0).trans_b(tb ? 1 : 0).M(m).N(n).K(k).lda(lda).ldb(ldb)
                        .ldo(n).alpha(alpha).beta(beta);
                NativeStatus.check(BnbC.bnb_cpu_gemm(desc, a.pointer(), b.pointer(),
                        bias == null ? null : bias.pointer(), out.pointer()), "gemm on " + d);
            }
            return;
        }
        Pointer stream = stream(d);
        long biasAddress = bias == null ? 0 : bias.address();
        long align = a.address() | b.address() | out.address() | biasAddress | 256;
        LtGemm g = new LtGemm(LtType.valueOf(dtype.name()), ta, tb, m, n, k, lda, ldb, n, bias != null, (int) Long.lowestOneBit(align));
        CublasLt.matmul(d.index(), stream, g, alpha, beta, a.address(), b.address(), biasAddress, out.address());
    }

    private static Pointer stream(Device d) {
        Bnb.requireCuda("running a kernel on " + d);
        return CudaStream.current(d).pointer();
    }

    private static FloatPointer f32(Tensor t) {
        assert t.dtype() == DType.F32;
        return new FloatPointer(t.pointer());
    }

    private static BytePointer u8(Tensor t) {
        return new BytePointer(t.pointer());
    }
}
