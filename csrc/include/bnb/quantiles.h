/*
 * bnb4j C API, quantile family: fast quantile estimation (upstream's estimate_quantiles, "SRAM-Quantiles").
 * Conventions: bnb/bnb.h.
 */
#ifndef BNB_QUANTILES_H
#define BNB_QUANTILES_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elements per chunk, and the quantiles estimated from each chunk. */
#define BNB_QUANTILE_CHUNK 4096
#define BNB_QUANTILES_MAX 256
/* Chunks whose picks are summed into one partial sum before the partial sums are added up (both backends). */
#define BNB_QUANTILE_GROUP 64

/* ---- quantile estimation --------------------------------------------------------------------- */
/* dtype: BNB_F32, BNB_F16 or BNB_BF16 (the type of A). n >= 256. 0 < offset <= 0.5 (finite).
 * 1 <= num_quantiles <= 256.
 *
 * Chunks: n <= 4096 gives one chunk of all n values; otherwise the floor(n / 4096) whole chunks of 4096
 * (the partial last chunk is skipped). valid = the chunk's length (n or 4096).
 * Each chunk is sorted in the total order of IEEE bits: -inf < ... < -0 < +0 < ... < +inf < NaN (every NaN,
 * whatever its sign, sorts last, as torch.sort does). From each sorted chunk s the values
 *   s[p_i],  p_i = roundf(fmaf((float)i, q, offset) * (float)(valid - 1)),  q = (1.0f - 2.0f * offset) / 255.0f,
 * i = 0..255, are taken (float arithmetic, fmaf fused, roundf: half away from zero; p_i clamped to
 * [0, valid - 1]); this is upstream's kernel as nvcc compiles it. Quantile i is the mean of its picks:
 * the picks are added in double, chunk by chunk, in groups of BNB_QUANTILE_GROUP consecutive chunks
 * (each group's sum starts at +0.0), the group sums are added in group order (from +0.0), the total is
 * divided by the number of chunks in double and rounded once to f32. Both backends follow this order, so
 * their results are bit-identical (a NaN's payload aside).
 * out[j] = quantile sel_j, j < num_quantiles, sel_j = floor(255 * j / (num_quantiles - 1)) (0 when
 * num_quantiles is 1): the exact value of upstream's torch.linspace(0, 255, num_quantiles).long().
 * The caller chooses offset (upstream's default: 1/512 for 256 quantiles, else 1/(2 * num_quantiles)). */
BNB_API bnb_status bnb_cpu_estimate_quantiles(int32_t dtype,
                                              const void* A,        /* [n] dtype */
                                              float* out,           /* [num_quantiles] f32, out */
                                              float offset, int32_t num_quantiles, int64_t n);
/* The same on the GPU: A and out are device memory; stream is a cudaStream_t (NULL: legacy default).
 * Uses a scratch buffer of about n / 16 bytes, allocated stream-ordered for the length of the call. */
BNB_API bnb_status bnb_cuda_estimate_quantiles(int32_t dtype,
                                               const void* A,       /* [n] dtype, device */
                                               float* out,          /* [num_quantiles] f32, device, out */
                                               float offset, int32_t num_quantiles, int64_t n, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_QUANTILES_H */
