package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The transformer family of the C API ({@code bnb/transformer.h}): RMSNorm, rotary embedding, causal grouped-query
 * attention, softmax and argmax over the last dimension. Tensors are row-major and dense; the dtype of a call is
 * the dtype of its first float tensor. The functional ops of {@code core.functional.transformer} check dtypes,
 * shapes and devices and hold a use of every tensor. Internal: see the package documentation.
 */
public final class NativeTransformer {
    private NativeTransformer() {
    }

    /** RMSNorm of x [rows, n] with weight [n] into out; rstd (F32 [rows]) may be null. */
    public static void rmsNorm(Tensor x, Tensor weight, Tensor out, Tensor rstd, long rows, long n, float eps) {
        Device d = x.device();
        int dtype = x.dtype().code();
        FloatPointer r = rstd == null ? null : f32(rstd);
        int status = d.isCpu()
                ? BnbC.bnb_cpu_rms_norm(dtype, x.pointer(), weight.pointer(), out.pointer(), r, rows, n, eps)
                : BnbC.bnb_cuda_rms_norm(dtype, x.pointer(), weight.pointer(), out.pointer(), r, rows, n, eps,
                        stream(d));
        check(status, "rmsNorm on " + d, d);
    }

    /**
     * The gradients of RMSNorm: gradX [rows, n], gradWeight [n] (null: not computed; overwritten, or added to
     * when {@code accumulate}); rstd is F32 [rows] scratch that receives the rows' 1 / rms.
     */
    public static void rmsNormBackward(Tensor gradOut, Tensor x, Tensor weight, Tensor gradX, Tensor gradWeight,
                                       Tensor rstd, long rows, long n, float eps, boolean accumulate) {
        Device d = x.device();
        int dtype = x.dtype().code();
        Pointer gw = gradWeight == null ? null : gradWeight.pointer();
        int add = accumulate ? 1 : 0;
        int status = d.isCpu()
                ? BnbC.bnb_cpu_rms_norm_backward(dtype, gradOut.pointer(), x.pointer(), weight.pointer(),
                        gradX.pointer(), gw, f32(rstd), rows, n, eps, add)
                : BnbC.bnb_cuda_rms_norm_backward(dtype, gradOut.pointer(), x.pointer(), weight.pointer(),
                        gradX.pointer(), gw, f32(rstd), rows, n, eps, add, stream(d));
        check(status, "rmsNormBackward on " + d, d);
    }

    /** Rotary embedding of x [batch, t, heads, headDim] into out (may be x); invFreq F32 [headDim / 2]. */
    public static void rope(Tensor x, Tensor out, Tensor invFreq, long batch, long t, long heads, long headDim,
                            long start) {
        Device d = x.device();
        int dtype = x.dtype().code();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_rope(dtype, x.pointer(), out.pointer(), f32(invFreq), batch, t, heads, headDim, start)
                : BnbC.bnb_cuda_rope(dtype, x.pointer(), out.pointer(), f32(invFreq), batch, t, heads, headDim,
                        start, stream(d));
        check(status, "rope on " + d, d);
    }

    /**
     * Causal attention of q [batch, t, qHeads, headDim] over k and v [batch, kvStride, kvHeads, headDim] (kvLen
     * valid positions) into out; workspace (F32) may be null.
     */
    public static void attention(Tensor q, Tensor k, Tensor v, Tensor out, long batch, long t, long qHeads,
                                 long kvHeads, long headDim, long kvLen, long kvStride, float scale,
                                 Tensor workspace) {
        Device d = q.device();
        int dtype = q.dtype().code();
        FloatPointer w = workspace == null ? null : f32(workspace);
        long wLen = workspace == null ? 0 : workspace.numel();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_attention(dtype, q.pointer(), k.pointer(), v.pointer(), out.pointer(), batch, t,
                        qHeads, kvHeads, headDim, kvLen, kvStride, scale, w, wLen)
                : BnbC.bnb_cuda_attention(dtype, q.pointer(), k.pointer(), v.pointer(), out.pointer(), batch, t,
                        qHeads, kvHeads, headDim, kvLen, kvStride, scale, w, wLen, stream(d));
        check(status, "attention on " + d, d);
    }

    /** Softmax over the last dimension of x [rows, n] into out [rows, n] of its own dtype. */
    public static void softmax(Tensor x, Tensor out, long rows, long n) {
        Device d = x.device();
        int dtype = x.dtype().code();
        DType outType = out.dtype();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_softmax(dtype, x.pointer(), outType.code(), out.pointer(), rows, n)
                : BnbC.bnb_cuda_softmax(dtype, x.pointer(), outType.code(), out.pointer(), rows, n, stream(d));
        check(status, "softmax on " + d, d);
    }

    /** The index of the largest value of each row of x [rows, n] into out (I64 [rows]). */
    public static void argmax(Tensor x, Tensor out, long rows, long n) {
        Device d = x.device();
        int dtype = x.dtype().code();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_argmax(dtype, x.pointer(), i64(out), rows, n)
                : BnbC.bnb_cuda_argmax(dtype, x.pointer(), i64(out), rows, n, stream(d));
        check(status, "argmax on " + d, d);
    }

    private static Pointer stream(Device d) {
        return CudaStream.current(d).pointer();
    }

    private static void check(int status, String operation, Device d) {
        NativeStatus.check(status, operation, OutOfDeviceMemoryException.UNKNOWN,
                () -> d.isCuda() ? NativeRuntime.freeBytes(d) : OutOfDeviceMemoryException.UNKNOWN);
    }

    private static FloatPointer f32(Tensor t) {
        return new FloatPointer(t.pointer());
    }

    private static LongPointer i64(Tensor t) {
        return new LongPointer(t.pointer());
    }
}
