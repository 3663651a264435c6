package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The nn family of the C API ({@code bnb/nn_ops.h}): activations, SwiGLU, elementwise ops, casts, column sums,
 * LayerNorm, embedding, dropout and cross-entropy. The float dtype of a call is the dtype of its first float tensor (a
 * cast names both); counts are element counts. The functional ops of {@code io.github.bnb4j.core.functional.nn} have
 * checked dtypes, shapes and devices and hold a use of every tensor; CUDA calls run on the calling thread's current
 * stream of the tensors' device. Internal: see the package documentation.
 */
public final class NativeNnOps {
    private NativeNnOps() {
    }

    /** {@code y = f(x)} for the {@code BNB_ACT_*} code {@code activation}. */
    public static void activation(int activation, Tensor x, Tensor y) {
        Device d = x.device();
        int t = x.dtype().code();
        long n = x.numel();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_activation(t, activation, x.pointer(), y.pointer(), n)
                : BnbC.bnb_cuda_nn_activation(t, activation, x.pointer(), y.pointer(), n, stream(d)),
                "activation on " + d, d);
    }

    /** {@code gradX = gradY · f'(x)}. */
    public static void activationBackward(int activation, Tensor x, Tensor gradY, Tensor gradX) {
        Device d = x.device();
        int t = x.dtype().code();
        long n = x.numel();
        check(d.isCpu()
                ? BnbC.bnb_cpu_nn_activation_backward(t, activation, x.pointer(), gradY.pointer(), gradX.pointer(), n)
                : BnbC.bnb_cuda_nn_activation_backward(t, activation, x.pointer(), gradY.pointer(), gradX.pointer(),
                        n, stream(d)), "activation backward on " + d, d);
    }

    /** {@code out = silu(gate) · up}. */
    public static void swiglu(Tensor gate, Tensor up, Tensor out) {
        Device d = gate.device();
        int t = gate.dtype().code();
        long n = gate.numel();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_swiglu(t, gate.pointer(), up.pointer(), out.pointer(), n)
                : BnbC.bnb_cuda_nn_swiglu(t, gate.pointer(), up.pointer(), out.pointer(), n, stream(d)),
                "swiglu on " + d, d);
    }

    /** The gradients of {@link #swiglu} with respect to gate and up. */
    public static void swigluBackward(Tensor gate, Tensor up, Tensor gradOut, Tensor gradGate, Tensor gradUp) {
        Device d = gate.device();
        int t = gate.dtype().code();
        long n = gate.numel();
        check(d.isCpu()
                ? BnbC.bnb_cpu_nn_swiglu_backward(t, gate.pointer(), up.pointer(), gradOut.pointer(),
                        gradGate.pointer(), gradUp.pointer(), n)
                : BnbC.bnb_cuda_nn_swiglu_backward(t, gate.pointer(), up.pointer(), gradOut.pointer(),
                        gradGate.pointer(), gradUp.pointer(), n, stream(d)), "swiglu backward on " + d, d);
    }

    /** {@code out[i] = a[i] + alpha · b[i % b.numel]}; out may be a. */
    public static void add(Tensor a, Tensor b, float alpha, Tensor out) {
        if (a.numel() == 0) {
            return; // b may be empty too, which the C API refuses as a broadcast
        }
        Device d = a.device();
        int t = a.dtype().code();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_add(t, a.pointer(), b.pointer(), alpha, out.pointer(), a.numel(), b.numel())
                : BnbC.bnb_cuda_nn_add(t, a.pointer(), b.pointer(), alpha, out.pointer(), a.numel(), b.numel(),
                        stream(d)), "add on " + d, d);
    }

    /** {@code out[i] = a[i] · b[i % b.numel]}; out may be a. */
    public static void mul(Tensor a, Tensor b, Tensor out) {
        if (a.numel() == 0) {
            return; // b may be empty too, which the C API refuses as a broadcast
        }
        Device d = a.device();
        int t = a.dtype().code();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_mul(t, a.pointer(), b.pointer(), out.pointer(), a.numel(), b.numel())
                : BnbC.bnb_cuda_nn_mul(t, a.pointer(), b.pointer(), out.pointer(), a.numel(), b.numel(), stream(d)),
                "mul on " + d, d);
    }

    /** {@code out = x · s}; out may be x. */
    public static void scale(Tensor x, float s, Tensor out) {
        Device d = x.device();
        int t = x.dtype().code();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_scale(t, x.pointer(), s, out.pointer(), x.numel())
                : BnbC.bnb_cuda_nn_scale(t, x.pointer(), s, out.pointer(), x.numel(), stream(d)),
                "scale on " + d, d);
    }

    /** {@code out = x} converted to out's dtype (both F32, F16 or BF16), one rounding to nearest even. */
    public static void cast(Tensor x, Tensor out) {
        Device d = x.device();
        int from = x.dtype().code();
        int to = out.dtype().code();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_cast(from, x.pointer(), to, out.pointer(), x.numel())
                : BnbC.bnb_cuda_nn_cast(from, x.pointer(), to, out.pointer(), x.numel(), stream(d)),
                "cast on " + d, d);
    }

    /** Dropout of x into out with Philox4x32-10 words of (seed, offset); out may be x. */
    public static void dropout(Tensor x, float p, long seed, long offset, Tensor out) {
        Device d = x.device();
        int t = x.dtype().code();
        check(d.isCpu() ? BnbC.bnb_cpu_nn_dropout(t, x.pointer(), p, seed, offset, out.pointer(), x.numel())
                : BnbC.bnb_cuda_nn_dropout(t, x.pointer(), p, seed, offset, out.pointer(), x.numel(), stream(d)),
                "dropout on " + d, d);
    }

    /** {@code out[c] (+)= Σ_r x[r, c]} for x [rows, cols]. */
    public static void sumRows(Tensor x, long rows, long cols, Tensor out, boolean accumulate) {
        Device d = x.device();
        int t = x.dtype().code();
        int acc = accumulate ? 1 : 0;
        check(d.isCpu() ? BnbC.bnb_cpu_nn_sum_rows(t, x.pointer(), rows, cols, out.pointer(), acc)
                : BnbC.bnb_cuda_nn_sum_rows(t, x.pointer(), rows, cols, out.pointer(), acc, stream(d)),
                "sumRows on " + d, d);
    }

    /** LayerNorm of x [rows, cols] into y; weight, bias, mean and rstd may be null. */
    public static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, long rows, long cols, Tensor y,
                                 Tensor mean, Tensor rstd) {
        Device d = x.device();
        int t = x.dtype().code();
        check(d.isCpu()
                ? BnbC.bnb_cpu_nn_layer_norm(t, x.pointer(), ptr(weight), ptr(bias), eps, rows, cols, y.pointer(),
                        f32(mean), f32(rstd))
                : BnbC.bnb_cuda_nn_layer_norm(t, x.pointer(), ptr(weight), ptr(bias), eps, rows, cols, y.pointer(),
                        f32(mean), f32(rstd), stream(d)), "layerNorm on " + d, d);
    }

    /** LayerNorm's backward; weight and each gradient may be null (weight and bias gradients accumulate). */
    public static void layerNormBackward(Tensor gradY, Tensor x, Tensor weight, Tensor mean, Tensor rstd, long rows,
                                         long cols, Tensor gradX, Tensor gradWeight, Tensor gradBias) {
        Device d = x.device();
        int t = x.dtype().code();
        check(d.isCpu()
                ? BnbC.bnb_cpu_nn_layer_norm_backward(t, gradY.pointer(), x.pointer(), ptr(weight), f32(mean),
                        f32(rstd), rows, cols, ptr(gradX), ptr(gradWeight), ptr(gradBias))
                : BnbC.bnb_cuda_nn_layer_norm_backward(t, gradY.pointer(), x.pointer(), ptr(weight), f32(mean),
                        f32(rstd), rows, cols, ptr(gradX), ptr(gradWeight), ptr(gradBias), stream(d)),
                "layerNorm backward on " + d, d);
    }

    /** {@code out[i, :] = table[indices[i], :]} in rows of {@code rowBytes} bytes; indices I32 or I64. */
    public static void embedding(Tensor table, long numRows, long rowBytes, Tensor indices, Tensor out) {
        Device d = table.device();
        int it = indices.dtype().code();
        long n = indices.numel();
        if (d.isCpu()) {
            checkIndices(BnbC.bnb_cpu_nn_embedding(table.pointer(), numRows, rowBytes, it, indices.pointer(), n,
                    out.pointer()), "embedding on " + d, d);
            return;
        }
        CudaStream s = CudaStream.current(d);
        IndexErrorRecord record = IndexErrorRecord.of(d, IndexErrorRecord.Kind.EMBEDDING_INDEX);
        record.throwIfRecorded(s, false);
        check(BnbC.bnb_cuda_nn_embedding(table.pointer(), numRows, rowBytes, it, indices.pointer(), n, out.pointer(),
                record.device(), record.host(), s.pointer()), "embedding on " + d, d);
    }

    /** {@code gradTable[indices[i], :] += gradOut[i, :]} except at paddingIdx (negative: none). */
    public static void embeddingBackward(Tensor gradOut, Tensor indices, long numRows, long dim, long paddingIdx,
                                         Tensor gradTable) {
        Device d = gradOut.device();
        int t = gradOut.dtype().code();
        int it = indices.dtype().code();
        long n = indices.numel();
        if (d.isCpu()) {
            checkIndices(BnbC.bnb_cpu_nn_embedding_backward(t, gradOut.pointer(), it, indices.pointer(), n, numRows,
                    dim, paddingIdx, gradTable.pointer()), "embedding backward on " + d, d);
            return;
        }
        CudaStream s = CudaStream.current(d);
        IndexErrorRecord record = IndexErrorRecord.of(d, IndexErrorRecord.Kind.EMBEDDING_INDEX);
        record.throwIfRecorded(s, false);
        check(BnbC.bnb_cuda_nn_embedding_backward(t, gradOut.pointer(), it, indices.pointer(), n, numRows, dim,
                paddingIdx, gradTable.pointer(), record.device(), record.host(), s.pointer()),
                "embedding backward on " + d, d);
    }

    /** Cross-entropy of logits [rows, classes] into loss (F32 scalar), lse (F32 [rows]) and count (F32 scalar). */
    public static void crossEntropy(Tensor logits, Tensor labels, long rows, long classes, long ignoreIndex,
                                    Tensor loss, Tensor lse, Tensor count) {
        Device d = logits.device();
        int t = logits.dtype().code();
        int lt = labels.dtype().code();
        if (d.isCpu()) {
            checkIndices(BnbC.bnb_cpu_nn_cross_entropy(t, logits.pointer(), lt, labels.pointer(), rows, classes,
                    ignoreIndex, f32(loss), f32(lse), f32(count)), "crossEntropy on " + d, d);
            return;
        }
        CudaStream s = CudaStream.current(d);
        IndexErrorRecord record = IndexErrorRecord.of(d, IndexErrorRecord.Kind.CROSS_ENTROPY_LABEL);
        record.throwIfRecorded(s, false);
        check(BnbC.bnb_cuda_nn_cross_entropy(t, logits.pointer(), lt, labels.pointer(), rows, classes, ignoreIndex,
                f32(loss), f32(lse), f32(count), record.device(), record.host(), s.pointer()),
                "crossEntropy on " + d, d);
    }

    /** The logits' gradient of {@link #crossEntropy}; gradLoss (F32 scalar) may be null for 1. */
    public static void crossEntropyBackward(Tensor logits, Tensor labels, Tensor lse, Tensor count, Tensor gradLoss,
                                            long rows, long classes, long ignoreIndex, Tensor gradLogits) {
        Device d = logits.device();
        int t = logits.dtype().code();
        int lt = labels.dtype().code();
        checkIndices(d.isCpu()
                ? BnbC.bnb_cpu_nn_cross_entropy_backward(t, logits.pointer(), lt, labels.pointer(), f32(lse),
                        f32(count), f32(gradLoss), rows, classes, ignoreIndex, gradLogits.pointer())
                : BnbC.bnb_cuda_nn_cross_entropy_backward(t, logits.pointer(), lt, labels.pointer(), f32(lse),
                        f32(count), f32(gradLoss), rows, classes, ignoreIndex, gradLogits.pointer(), stream(d)),
                "crossEntropy backward on " + d, d);
    }

    /**
     * Waits for the current stream of a CUDA device and throws if an embedding or cross-entropy call queued before
     * found an index out of range; nothing to do on the CPU, whose calls check before they run.
     *
     * @throws IllegalArgumentException naming the index's position and value
     */
    public static void checkIndexErrors(Device d) {
        if (d.isCpu()) {
            return;
        }
        CudaStream s = CudaStream.current(d);
        for (IndexErrorRecord.Kind kind : IndexErrorRecord.Kind.values()) {
            IndexErrorRecord.of(d, kind).throwIfRecorded(s, true);
        }
    }

    private static Pointer stream(Device d) {
        return CudaStream.current(d).pointer();
    }

    private static Pointer ptr(Tensor t) {
        return t == null ? null : t.pointer();
    }

    private static FloatPointer f32(Tensor t) {
        return t == null ? null : new FloatPointer(t.pointer());
    }

    /**
     * {@link #check} for the calls that check indices on the CPU: every other argument was checked in Java, so an
     * invalid argument is an index out of range, reported as such.
     *
     * @throws IllegalArgumentException with the native detail (the index's position and value)
     */
    private static void checkIndices(int status, String operation, Device d) {
        if (status == BnbC.BNB_ERR_INVALID_ARGUMENT) {
            throw new IllegalArgumentException(operation + ": " + NativeStatus.lastError());
        }
        check(status, operation, d);
    }

    /** A CUDA call's temporary allocation can run out of memory: report the device's free bytes. */
    private static void check(int status, String operation, Device d) {
        NativeStatus.check(status, operation, OutOfDeviceMemoryException.UNKNOWN,
                () -> d.isCuda() ? NativeRuntime.freeBytes(d) : OutOfDeviceMemoryException.UNKNOWN);
    }
}
