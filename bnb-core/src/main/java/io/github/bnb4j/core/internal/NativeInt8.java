package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The int8 family of the C API ({@code bnb/int8.h}) and the int8 GEMM (the CPU kernel of that header, cuBLASLt on
 * CUDA devices through {@link CudaInt8Gemm}). Matrices are row-major and dense; the float dtype of a call is the
 * dtype of its float tensor. The functional ops ({@code Int8}, {@code Int8Matmul}) have checked dtypes, shapes and
 * devices and hold a use of every tensor. Internal: see the package documentation.
 */
public final class NativeInt8 {
    /** The most rows of a {@link #fusedMatmul}. */
    public static final int FUSED_MAX_ROWS = BnbC.BNB_INT8_FUSED_MAX_ROWS;

    private NativeInt8() {
    }

    /**
     * Row-wise quantization of {@code a} [rows, cols] (F32/F16/BF16) into {@code codes} (I8 [rows, cols]) and
     * {@code rowStats} (F32 [rows]); with {@code threshold > 0} also the ascending outlier columns into
     * {@code outlierCols} (I64, at least [cols]) and their count into {@code count} (I64 [1]), which are null for
     * threshold 0.
     */
    public static void vectorwiseQuant(Tensor a, long rows, long cols, float threshold, Tensor codes,
                                       Tensor rowStats, Tensor outlierCols, Tensor count) {
        Device d = a.device();
        int dtype = a.dtype().code();
        LongPointer outliers = outlierCols == null ? null : i64(outlierCols);
        LongPointer n = count == null ? null : i64(count);
        int status = d.isCpu()
                ? BnbC.bnb_cpu_int8_vectorwise_quant(dtype, a.pointer(), rows, cols, threshold, i8(codes),
                        f32(rowStats), outliers, n)
                : BnbC.bnb_cuda_int8_vectorwise_quant(dtype, a.pointer(), rows, cols, threshold, i8(codes),
                        f32(rowStats), outliers, n, stream(d));
        check(status, "int8 vectorwiseQuant on " + d, d);
    }

    /** {@code out[r, c] = codes[r, c] · rowStats[r] / 127}, rounded to out's dtype; codes I8 [rows, cols]. */
    public static void vectorwiseDequant(Tensor codes, Tensor rowStats, long rows, long cols, Tensor out) {
        Device d = codes.device();
        int dtype = out.dtype().code();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_int8_vectorwise_dequant(dtype, i8(codes), f32(rowStats), rows, cols, out.pointer())
                : BnbC.bnb_cuda_int8_vectorwise_dequant(dtype, i8(codes), f32(rowStats), rows, cols, out.pointer(),
                        stream(d));
        check(status, "int8 vectorwiseDequant on " + d, d);
    }

    /**
     * {@code out[m, n] = c[m, n] · rowStats[m] · colStats[n] / 127² + bias[n]} in out's dtype; c I32 [M, N],
     * bias null or [N] in out's dtype.
     */
    public static void mmDequant(Tensor c, Tensor rowStats, Tensor colStats, Tensor bias, Tensor out, long m,
                                 long n) {
        Device d = c.device();
        int dtype = out.dtype().code();
        Pointer b = bias == null ? null : bias.pointer();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_int8_mm_dequant(dtype, i32(c), f32(rowStats), f32(colStats), b, out.pointer(), m, n)
                : BnbC.bnb_cuda_int8_mm_dequant(dtype, i32(c), f32(rowStats), f32(colStats), b, out.pointer(), m, n,
                        stream(d));
        check(status, "int8 mmDequant on " + d, d);
    }

    /** {@code out[r, j] = a[r, columns[j]]}: a [rows, cols] and out [rows, nColumns] in a's dtype. */
    public static void gatherColumns(Tensor a, long rows, long cols, Tensor columns, long nColumns, Tensor out) {
        gatherColumns(a.dtype().code(), a, rows, cols, columns, nColumns, out);
    }

    /** The gather with an explicit element type code: the CUDA GEMM copies int32 products as f32 bits. */
    static void gatherColumns(int dtype, Tensor a, long rows, long cols, Tensor columns, long nColumns, Tensor out) {
        Device d = a.device();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_int8_gather_columns(dtype, a.pointer(), rows, cols, i64(columns), nColumns,
                        out.pointer())
                : BnbC.bnb_cuda_int8_gather_columns(dtype, a.pointer(), rows, cols, i64(columns), nColumns,
                        out.pointer(), stream(d));
        check(status, "int8 gatherColumns on " + d, d);
    }

    /**
     * {@code out[r, j] = codes[r, columns[j]] · rowStats[r] / 127} in out's dtype: the weight columns matching
     * the input's outlier columns; codes I8 [rows, cols], out [rows, nColumns].
     */
    public static void dequantColumns(Tensor codes, Tensor rowStats, long rows, long cols, Tensor columns,
                                      long nColumns, Tensor out) {
        Device d = codes.device();
        int dtype = out.dtype().code();
        int status = d.isCpu()
                ? BnbC.bnb_cpu_int8_dequant_columns(dtype, i8(codes), f32(rowStats), rows, cols, i64(columns),
                        nColumns, out.pointer())
                : BnbC.bnb_cuda_int8_dequant_columns(dtype, i8(codes), f32(rowStats), rows, cols, i64(columns),
                        nColumns, out.pointer(), stream(d));
        check(status, "int8 dequantColumns on " + d, d);
    }

    /**
     * The whole LLM.int8() forward of {@code a} [m, k] against the int8 weight {@code cb} (I8 [n, k]) and {@code scb}
     * (F32 [n]) in two kernels and with no host synchronization, on a CUDA device, m at most {@link #FUSED_MAX_ROWS}
     * ({@code bnb_cuda_int8_fused_matmul}): the unfused sequence's bits, with the outlier columns' 16-bit part
     * summed in ascending column order. {@code codes} (I8 [m, k]) and {@code rowStats} (F32 [m]) are scratch;
     * {@code outlierState} is null for threshold 0, else I32, at least [2 + 2k], zero before its first use (every
     * call leaves it so). bias is null or [n] in a's dtype; out [m, n] in a's dtype.
     */
    public static void fusedMatmul(Tensor a, Tensor cb, Tensor scb, Tensor bias, long m, long n, long k,
                                   float threshold, Tensor codes, Tensor rowStats, Tensor outlierState, Tensor out) {
        Device d = a.device();
        Pointer b = bias == null ? null : bias.pointer();
        IntPointer state = outlierState == null ? null : i32(outlierState);
        check(BnbC.bnb_cuda_int8_fused_matmul(a.dtype().code(), a.pointer(), i8(cb), f32(scb), b, m, n, k, threshold,
                i8(codes), f32(rowStats), state, out.pointer(), stream(d)), "int8 fusedMatmul on " + d, d);
    }

    /**
     * {@code out = a · bᵀ} in int32: a I8 [m, k], b I8 [n, k], out I32 [m, n], k &gt;= 1. On CUDA devices cuBLASLt,
     * with shapes it refuses padded (see {@link CudaInt8Gemm}).
     */
    public static void gemm(Tensor a, Tensor b, Tensor out, long m, long n, long k) {
        Device d = a.device();
        if (d.isCpu()) {
            check(BnbC.bnb_cpu_int8_gemm(i8(a), i8(b), i32(out), m, n, k), "int8 gemm on " + d, d);
        } else {
            CudaInt8Gemm.run(a, b, out, m, n, k, CudaStream.current(d));
        }
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

    private static BytePointer i8(Tensor t) {
        return new BytePointer(t.pointer());
    }

    private static FloatPointer f32(Tensor t) {
        return new FloatPointer(t.pointer());
    }

    private static IntPointer i32(Tensor t) {
        return new IntPointer(t.pointer());
    }

    private static LongPointer i64(Tensor t) {
        return new LongPointer(t.pointer());
    }
}
