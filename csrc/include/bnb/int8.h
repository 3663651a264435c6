/*
 * bnb4j C API, int8 family: the kernels of LLM.int8() (spec 3.9-3.12) around the int8 GEMM. Row-wise
 * (vector-wise) quantization with outlier columns, its dequantization, the fused dequantization of an
 * int32 product with bias, the outlier columns of the mixed-precision decomposition, and a CPU int8 GEMM
 * (on CUDA the GEMM is cuBLASLt's, called from Java). Conventions: bnb/bnb.h.
 *
 * Matrices are row-major and dense: element (r, c) of a [rows, cols] matrix is at r * cols + c.
 * dtype is BNB_F32, BNB_F16 or BNB_BF16 (anything else: BNB_ERR_UNSUPPORTED). Counts are >= 0 and
 * rows * cols must fit in int64_t (else BNB_ERR_INVALID_ARGUMENT); an empty matrix reads and writes
 * nothing. The CPU and CUDA functions of a pair compute the same bits.
 */
#ifndef BNB_INT8_H
#define BNB_INT8_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- row-wise quantization ---------------------------------------------------------------------
 * A value is an outlier when threshold > 0 and |x| >= threshold (NaN never is; +-inf always is).
 *   row_stats[r] = max |A[r, c]| over the values of row r that are not outliers and not NaN (0 if none);
 *   scale        = 127 * (1 / row_stats[r])   (two f32 roundings; upstream's __fdividef can be one ulp off
 *                  it, see docs/DECISIONS.md);
 *   codes[r, c]  = round_half_even(A[r, c] * scale), clamped to [-127, 127]; 0 for NaN (and for every
 *                  value of an all-zero row); 0 in every outlier column (all rows).
 *   outlier_cols = the columns holding at least one outlier, ascending, in outlier_cols[0 .. *n_outliers);
 *                  the entries after them are unspecified (the CUDA function uses the buffer as scratch).
 * threshold: >= 0 and not NaN (0 turns outliers off; +inf is allowed and flags only infinities).
 * outlier_cols and n_outliers: required when threshold > 0; with threshold == 0 they may be NULL and
 * are not written. */
BNB_API bnb_status bnb_cpu_int8_vectorwise_quant(int32_t dtype,
                                                 const void* A,         /* [rows, cols] dtype */
                                                 int64_t rows, int64_t cols, float threshold,
                                                 int8_t* codes,         /* [rows, cols] i8, out */
                                                 float* row_stats,      /* [rows] f32, out */
                                                 int64_t* outlier_cols, /* [cols] i64, out */
                                                 int64_t* n_outliers);  /* [1] i64, out */
/* out[r, c] = (codes[r, c] * row_stats[r]) * (1/127 as f32), in f32, rounded to nearest even in dtype.
 * (Upstream's int8_vectorwise_dequant: with dtype BNB_F32 the same bits.) */
BNB_API bnb_status bnb_cpu_int8_vectorwise_dequant(int32_t dtype,
                                                   const int8_t* codes,    /* [rows, cols] i8 */
                                                   const float* row_stats, /* [rows] f32 */
                                                   int64_t rows, int64_t cols,
                                                   void* out);             /* [rows, cols] dtype, out */

/* ---- int32 product to dtype ----------------------------------------------------------------------
 * out[m, n] = fmaf((f32)C[m, n] * row_stats[m] * col_stats[n], 6.200012e-05f, bias[n] or 0), left to
 * right, rounded once to dtype: upstream CUDA's kdequant_mm_int32_fp16 (bit for bit for BNB_F16). bias
 * is in dtype, or NULL. */
BNB_API bnb_status bnb_cpu_int8_mm_dequant(int32_t dtype,
                                           const int32_t* C,       /* [M, N] i32 */
                                           const float* row_stats, /* [M] f32 */
                                           const float* col_stats, /* [N] f32 */
                                           const void* bias,       /* [N] dtype, or NULL */
                                           void* out,              /* [M, N] dtype, out */
                                           int64_t M, int64_t N);

/* ---- int8 GEMM (CPU) ------------------------------------------------------------------------------
 * C = A * B^T in int32: C[m, n] = sum_k A[m, k] * B[n, k]. Exact while K * 2^14 < 2^31 (K < 131072);
 * beyond, sums wrap modulo 2^32 as the GPU's int32 GEMMs do. */
BNB_API bnb_status bnb_cpu_int8_gemm(const int8_t* A, /* [M, K] i8 */
                                     const int8_t* B, /* [N, K] i8 */
                                     int32_t* C,      /* [M, N] i32, out */
                                     int64_t M, int64_t N, int64_t K);

/* ---- outlier columns of the mixed-precision decomposition (spec 3.12) ---------------------------
 * columns: n_columns indices in [0, cols), as bnb_*_int8_vectorwise_quant writes them. The CPU checks
 * them (BNB_ERR_INVALID_ARGUMENT); the CUDA kernels cannot without a sync and write 0 for an index out
 * of range instead of reading out of bounds. */
/* out[r, j] = A[r, columns[j]]: the input's outlier columns, in its own precision. */
BNB_API bnb_status bnb_cpu_int8_gather_columns(int32_t dtype,
                                               const void* A,          /* [rows, cols] dtype */
                                               int64_t rows, int64_t cols,
                                               const int64_t* columns, /* [n_columns] i64 */
                                               int64_t n_columns,
                                               void* out);             /* [rows, n_columns] dtype, out */
/* out[r, j] = the bnb_*_int8_vectorwise_dequant of codes[r, columns[j]]: the matching columns of a
 * row-wise quantized weight [N, K] (rows = N, cols = K), dequantized, so that the outlier product is
 * gather_columns(A) * out^T. */
BNB_API bnb_status bnb_cpu_int8_dequant_columns(int32_t dtype,
                                                const int8_t* codes,    /* [rows, cols] i8 */
                                                const float* row_stats, /* [rows] f32 */
                                                int64_t rows, int64_t cols,
                                                const int64_t* columns, /* [n_columns] i64 */
                                                int64_t n_columns,
                                                void* out);             /* [rows, n_columns] dtype, out */

/* The same on the GPU: every pointer is device memory (n_outliers too); stream is a cudaStream_t
 * (NULL: legacy default). */
BNB_API bnb_status bnb_cuda_int8_vectorwise_quant(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                                  float threshold, int8_t* codes, float* row_stats,
                                                  int64_t* outlier_cols, int64_t* n_outliers, void* stream);
BNB_API bnb_status bnb_cuda_int8_vectorwise_dequant(int32_t dtype, const int8_t* codes, const float* row_stats,
                                                    int64_t rows, int64_t cols, void* out, void* stream);
BNB_API bnb_status bnb_cuda_int8_mm_dequant(int32_t dtype, const int32_t* C, const float* row_stats,
                                            const float* col_stats, const void* bias, void* out, int64_t M,
                                            int64_t N, void* stream);
BNB_API bnb_status bnb_cuda_int8_gather_columns(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                                const int64_t* columns, int64_t n_columns, void* out,
                                                void* stream);
BNB_API bnb_status bnb_cuda_int8_dequant_columns(int32_t dtype, const int8_t* codes, const float* row_stats,
                                                 int64_t rows, int64_t cols, const int64_t* columns,
                                                 int64_t n_columns, void* out, void* stream);

/* ---- fused LLM.int8() product for few rows (decode; CUDA only) -----------------------------------
 * out = the LLM.int8() forward of A [M, K] against the row-wise quantized weight CB [N, K] / SCB [N], in one
 * call with no host synchronization, M <= BNB_INT8_FUSED_MAX_ROWS:
 *   codes, row_stats = bnb_*_int8_vectorwise_quant(A, threshold)   (the same bits; outlier columns zeroed)
 *   y[m, n]   = the dtype rounding of bnb_*_int8_mm_dequant's value for sum_k codes[m, k] * CB[n, k] (exact
 *               int32 sums), row_stats[m], SCB[n] and bias[n]
 *   out[m, n] = y[m, n] when no column is an outlier; otherwise the dtype rounding of
 *               f32(y[m, n]) + s, s = the f32 sum over the outlier columns c (ascending, fmaf) of
 *               f32(A[m, c]) * f32(bnb_*_int8_dequant_columns(CB, SCB)[n, c]).
 * That is the unfused sequence (quantize, int8 GEMM, mm_dequant, then the 16-bit GEMM of the gathered outlier
 * columns added with beta = 1) with the outlier sum in a fixed order.
 * codes [M, K] and row_stats [M] are scratch outputs (they hold the quantized A afterwards).
 * outlier_state (threshold > 0 only; may be NULL otherwise): i32 [2 + 2K] scratch that must be all zero before
 * its first use; every call leaves entries 0 and 2 .. 2+K zero again, and entry 1 the outlier count, entries
 * 2+K .. 2+K+count the outlier columns, ascending. Requires 0 <= M <= 32, K <= INT32_MAX. */
#define BNB_INT8_FUSED_MAX_ROWS 32
BNB_API bnb_status bnb_cuda_int8_fused_matmul(int32_t dtype,
                                              const void* A,           /* [M, K] dtype */
                                              const int8_t* CB,        /* [N, K] i8 */
                                              const float* SCB,        /* [N] f32 */
                                              const void* bias,        /* [N] dtype, or NULL */
                                              int64_t M, int64_t N, int64_t K, float threshold,
                                              int8_t* codes,           /* [M, K] i8, scratch */
                                              float* row_stats,        /* [M] f32, scratch */
                                              int32_t* outlier_state,  /* [2 + 2K] i32, scratch, or NULL */
                                              void* out,               /* [M, N] dtype, out */
                                              void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_INT8_H */
