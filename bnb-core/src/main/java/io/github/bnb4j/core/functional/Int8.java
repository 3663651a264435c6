package io.github.bnb4j.core.functional;

import static io.github.bnb4j.core.functional.Int8Checks.requireFloat;
import static io.github.bnb4j.core.functional.Int8Checks.requireMatrix;
import static io.github.bnb4j.core.functional.Int8Checks.requireVector;

import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeInt8;

/**
 * The building blocks of LLM.int8() (spec 3.9-3.11; {@link Int8Matmul} composes them): row-wise (vector-wise) int8
 * quantization with outlier columns, its dequantization, the int8 GEMM and the fused dequantization of its int32
 * product. For a row {@code r} of an input [..., cols] (leading dimensions flattened to rows):
 * <pre>
 *   rowStats[r] = max |A[r, c]| over the values that are not outliers (|x| &gt;= threshold, when threshold &gt; 0)
 *   codes[r, c] = round_half_even(A[r, c] · (127 · (1 / rowStats[r]))), clamped to ±127; 0 in outlier columns
 *   dequant     = codes[r, c] · rowStats[r] / 127
 *   gemm        = A_i8 · B_i8ᵀ in int32 (exact)
 *   mmDequant   = C[m, n] · rowStats[m] · colStats[n] / 127² + bias[n]
 * </pre>
 * Codes and statistics equal upstream's CUDA results bit for bit on every backend (docs/DECISIONS.md, int8).
 * Float tensors are F32, F16 or BF16 (upstream takes only F16 on CUDA). On CUDA devices the GEMM is cuBLASLt
 * (int32 compute) on the current stream; shapes it refuses (K or N not a multiple of 4) run on zero-padded
 * copies and give the same result. Every argument is checked before a kernel runs; an op that throws has
 * written nothing.
 */
public final class Int8 {
    private Int8() {
    }

    /**
     * Row-wise int8 quantization (upstream {@code int8_vectorwise_quant}). Does not modify {@code a}.
     *
     * @param a         F32, F16 or BF16 [..., cols] (rank &gt;= 1)
     * @param threshold 0 for no outliers, else the magnitude from which a value is an outlier: its column is left
     *                  to the 16-bit product and zeroed in the codes
     * @return codes, row statistics and outlier columns, all new tensors on {@code a}'s device; the caller closes
     *         the result
     * @throws NullPointerException          if {@code a} is null
     * @throws IllegalArgumentException      if {@code threshold} is NaN, infinite or negative, or {@code a} is a
     *                                       scalar
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if {@code a} is closed
     */
    public static Int8Quantized vectorwiseQuant(Tensor a, float threshold) {
        Int8Checks.requireThreshold(threshold);
        long cols = Int8Checks.lastDimension(a, "a");
        requireFloat(a, "a", "int8 vectorwiseQuant");
        long rows = Int8Checks.rows(a);
        Device d = a.device();
        Tensor codes = null;
        Tensor rowStats = null;
        Tensor buffer = null;
        Tensor found = null;
        try {
            codes = Tensor.empty(DType.I8, d, a.shape());
            rowStats = Tensor.empty(DType.F32, d, rows);
            if (threshold > 0) {
                buffer = Tensor.empty(DType.I64, d, cols);
                found = Tensor.empty(DType.I64, d, 1);
            }
            try (TensorUse use = TensorUse.of(a, codes, rowStats, buffer, found)) {
                NativeInt8.vectorwiseQuant(a, rows, cols, threshold, codes, rowStats, buffer, found);
            }
            OutlierColumns outliers = threshold > 0 ? new OutlierColumns.Searched(buffer, found)
                    : new OutlierColumns.NotSearched();
            return new Int8Quantized(codes, rowStats, outliers);
        } catch (RuntimeException e) {
            closeAll(codes, rowStats, buffer, found);
            throw e;
        }
    }

    /**
     * Dequantizes row-wise int8 codes (upstream {@code int8_vectorwise_dequant}): {@code codes · rowStats / 127}
     * in f32, rounded to {@code dtype}. Outlier columns (zeroed in the codes) come back as 0.
     *
     * @param codes    I8 [..., cols]
     * @param rowStats F32 [rows] on the codes' device (rows = the product of the leading dimensions)
     * @param dtype    F32, F16 or BF16
     * @return a new tensor of {@code dtype} with the codes' shape
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if codes are not I8 of rank &gt;= 1 or rowStats is not F32 [rows] on
     *                                       their device
     * @throws UnsupportedOperationException if {@code dtype} is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor vectorwiseDequant(Tensor codes, Tensor rowStats, DType dtype) {
        long cols = Int8Checks.lastDimension(codes, "codes");
        if (codes.dtype() != DType.I8) {
            throw new IllegalArgumentException("codes must be I8, got " + codes);
        }
        long rows = Int8Checks.rows(codes);
        requireVector(rowStats, DType.F32, rows, codes.device(), "rowStats");
        requireFloat(dtype, codes.device(), "int8 vectorwiseDequant");
        Tensor out = Tensor.empty(dtype, codes.device(), codes.shape());
        try (TensorUse use = TensorUse.of(codes, rowStats, out)) {
            NativeInt8.vectorwiseDequant(codes, rowStats, rows, cols, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The int8 GEMM {@code a · bᵀ} in int32 (upstream {@code int8_linear_matmul}); exact while
     * {@code K < 131072}, beyond that sums wrap modulo 2^32 as the GPU's int32 sums do.
     *
     * @param a I8 [M, K]
     * @param b I8 [N, K] on a's device
     * @return a new I32 [M, N] tensor (zeros when K = 0)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a or b is not an I8 matrix, their K differ, or they are on different
     *                                  devices
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Tensor gemm(Tensor a, Tensor b) {
        requireGemmOperands(a, b);
        Tensor out = Tensor.empty(DType.I32, a.device(), a.size(0), b.size(0));
        try {
            runGemm(a, b, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * {@link #gemm} into a caller-owned tensor; allocates nothing when cuBLASLt takes the shape as it is.
     *
     * @param out I32 [M, N] on a's device; overwritten
     * @throws IllegalArgumentException as {@link #gemm}, or if {@code out} is not I32 [M, N] on a's device; out is
     *                                  then unchanged
     */
    public static void gemmInto(Tensor a, Tensor b, Tensor out) {
        requireGemmOperands(a, b);
        Int8Checks.requireShape(out, DType.I32, new long[] {a.size(0), b.size(0)}, a.device(), "out");
        runGemm(a, b, out);
    }

    /**
     * Dequantizes an int32 product with the row statistics of both operands (upstream {@code int8_mm_dequant},
     * fused into one pass): {@code out[m, n] = fmaf(C[m, n] · rowStats[m] · colStats[n], 6.200012e-05f, 0)}
     * rounded once to {@code dtype}.
     *
     * @param c        I32 [M, N]
     * @param rowStats F32 [M]: the statistics of A's rows
     * @param colStats F32 [N]: the statistics of B's rows (the columns of the product)
     * @param dtype    F32, F16 or BF16
     * @return a new [M, N] tensor of {@code dtype}
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if c is not an I32 matrix or the statistics are not F32 [M] and
     *                                       [N] on its device
     * @throws UnsupportedOperationException if {@code dtype} is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor mmDequant(Tensor c, Tensor rowStats, Tensor colStats, DType dtype) {
        return mmDequantImpl(c, rowStats, colStats, null, dtype);
    }

    /**
     * {@link #mmDequant(Tensor, Tensor, Tensor, DType)} with the bias fused:
     * {@code fmaf(C · rowStats · colStats, 6.200012e-05f, bias[n])}, in the bias's dtype.
     *
     * @param bias F32, F16 or BF16 [N] on c's device; the output's dtype
     * @throws IllegalArgumentException as the overload without bias, or if {@code bias} is not [N] on c's device
     */
    public static Tensor mmDequant(Tensor c, Tensor rowStats, Tensor colStats, Tensor bias) {
        Objects.requireNonNull(bias, "bias");
        return mmDequantImpl(c, rowStats, colStats, bias, bias.dtype());
    }

    private static Tensor mmDequantImpl(Tensor c, Tensor rowStats, Tensor colStats, Tensor bias, DType dtype) {
        requireMatrix(c, DType.I32, "c");
        Device d = c.device();
        long m = c.size(0);
        long n = c.size(1);
        requireVector(rowStats, DType.F32, m, d, "rowStats");
        requireVector(colStats, DType.F32, n, d, "colStats");
        requireFloat(dtype, d, "int8 mmDequant");
        if (bias != null) {
            requireVector(bias, dtype, n, d, "bias");
        }
        Tensor out = Tensor.empty(dtype, d, m, n);
        try (TensorUse use = TensorUse.of(c, rowStats, colStats, bias, out)) {
            NativeInt8.mmDequant(c, rowStats, colStats, bias, out, m, n);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static void requireGemmOperands(Tensor a, Tensor b) {
        requireMatrix(a, DType.I8, "a");
        requireMatrix(b, DType.I8, "b");
        if (a.size(1) != b.size(1)) {
            throw new IllegalArgumentException("a [M, K] and b [N, K] must share K, got a " + a + " and b " + b);
        }
        Int8Checks.requireDevice(b, a.device(), "b");
    }

    /** The checked product; the caller checked the shapes. */
    static void runGemm(Tensor a, Tensor b, Tensor out) {
        long m = a.size(0);
        long n = b.size(0);
        long k = a.size(1);
        try (TensorUse use = TensorUse.of(a, b, out)) {
            if (m == 0 || n == 0) {
                return;
            }
            if (k == 0) {
                out.fillZero();
                return;
            }
            NativeInt8.gemm(a, b, out, m, n, k);
        }
    }

    /** Closes the non-null tensors: the partial results of a call that failed. */
    static void closeAll(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
