/*
 * bnb4j C API, transformer family: the ops of a Llama decoder that are not GEMMs. RMSNorm (forward and
 * backward), rotary position embedding, causal grouped-query attention over a key/value cache, softmax and
 * argmax over the last dimension. Conventions: bnb/bnb.h.
 *
 * Tensors are row-major and dense. dtype is BNB_F32, BNB_F16 or BNB_BF16 (anything else:
 * BNB_ERR_UNSUPPORTED); the arithmetic is f32 whatever the dtype, and each result is rounded once to its
 * dtype (to nearest even) unless a formula below says where transformers rounds in between. Counts are
 * >= 0 and their products must fit in int64_t (else BNB_ERR_INVALID_ARGUMENT); an empty input reads and
 * writes nothing. A failed argument check writes nothing. The CPU and CUDA functions of a pair compute the
 * same formula; they may differ in the last bits (the order of f32 sums, the GPU's exp/cos/sin).
 */
#ifndef BNB_TRANSFORMER_H
#define BNB_TRANSFORMER_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- RMSNorm (transformers' LlamaRMSNorm) ------------------------------------------------------------
 * For each row r of x [rows, n] (n >= 1):
 *   rstd[r]   = 1 / sqrt(sum_c x[r, c]^2 / n + eps)                            (f32)
 *   h[r, c]   = dtype(x[r, c] * rstd[r])                                        (normalised, cast to dtype)
 *   out[r, c] = dtype(weight[c] * h[r, c])                                      (then scaled, in dtype)
 * eps: finite and >= 0. rstd may be NULL; else it receives rstd[r] (f32). out may equal x (in place). */
BNB_API bnb_status bnb_cpu_rms_norm(int32_t dtype,
                                    const void* x,      /* [rows, n] dtype */
                                    const void* weight, /* [n] dtype */
                                    void* out,          /* [rows, n] dtype, out */
                                    float* rstd,        /* [rows] f32, out, or NULL */
                                    int64_t rows, int64_t n, float eps);
/* The gradients of bnb_*_rms_norm for the gradient g of out (the cast to dtype passes gradients through):
 *   gh[r, c]        = g[r, c] * weight[c]
 *   grad_x[r, c]    = rstd[r] * (gh[r, c] - x[r, c] * rstd[r]^2 * sum_j gh[r, j] * x[r, j] / n)
 *   grad_weight[c]  = sum_r g[r, c] * h[r, c]      (h as in the forward pass, in dtype)
 * rstd is recomputed from x and written (f32 [rows], required). grad_weight (dtype [n]) may be NULL (not
 * computed); with accumulate = 1 the sum is added to its value (one rounding), with 0 it overwrites it;
 * other values: BNB_ERR_INVALID_ARGUMENT. grad_x must not overlap the inputs. */
BNB_API bnb_status bnb_cpu_rms_norm_backward(int32_t dtype,
                                             const void* grad_out, /* [rows, n] dtype */
                                             const void* x,        /* [rows, n] dtype */
                                             const void* weight,   /* [n] dtype */
                                             void* grad_x,         /* [rows, n] dtype, out */
                                             void* grad_weight,    /* [n] dtype, out (or in/out), or NULL */
                                             float* rstd,          /* [rows] f32, out */
                                             int64_t rows, int64_t n, float eps, int32_t accumulate);

/* ---- rotary position embedding (Llama: rotate_half pairs (i, i + d/2)) -------------------------------
 * x is [batch, T, heads, d] (d even, >= 2); the token t of every batch row is at position start + t.
 * With h = d / 2 and, for i < h, angle = inv_freq[i] * (f32)(start + t) (one f32 product),
 * c = dtype(cosf(angle)), s = dtype(sinf(angle)) (transformers casts cos and sin to the input dtype):
 *   out[i]     = dtype(dtype(x[i] * c)     + dtype(-x[i + h] * s))
 *   out[i + h] = dtype(dtype(x[i + h] * c) + dtype(x[i] * s))
 * i.e. x * cos + rotate_half(x) * sin with transformers' roundings. inv_freq: f32 [d / 2], theta^(-2i/d)
 * as the caller computes it. start >= 0 and start + T <= 2^24 (positions exact in f32). out may equal x. */
BNB_API bnb_status bnb_cpu_rope(int32_t dtype,
                                const void* x,          /* [batch, T, heads, d] dtype */
                                void* out,              /* [batch, T, heads, d] dtype, out */
                                const float* inv_freq,  /* [d / 2] f32 */
                                int64_t batch, int64_t T, int64_t heads, int64_t d, int64_t start);

/* ---- causal grouped-query attention ----------------------------------------------------------------
 * q [batch, T, q_heads, d]; k and v [batch, kv_stride, kv_heads, d] hold kv_len valid positions per batch
 * row (kv_len <= kv_stride; kv_len >= T >= 0). q_heads = g * kv_heads: query head j reads kv head
 * j / g. Query t is at position p = kv_len - T + t and sees the keys at positions 0 .. p:
 *   s[j]  = scale * sum_e q[b, t, h, e] * k[b, j, h / g, e]       (f32)
 *   w     = softmax(s) over j <= p                                 (f32, exp of s - max)
 *   out[b, t, h, e] = dtype(sum_j w[j] * v[b, j, h / g, e])        (f32 sums)
 * Nothing is rounded to dtype before the output (as transformers' sdpa path on the GPU). scale: finite,
 * > 0 (transformers: d^-0.5). d >= 1, kv_heads >= 1, q_heads a positive multiple of kv_heads.
 * workspace: f32 scratch of workspace_len floats, or NULL / 0. The CPU ignores it; the GPU splits the
 * positions of one query over several blocks (flash-decoding) when it holds
 * batch * T * q_heads * splits * (d + 2) floats, and uses one block per query otherwise. */
BNB_API bnb_status bnb_cpu_attention(int32_t dtype,
                                     const void* q,   /* [batch, T, q_heads, d] dtype */
                                     const void* k,   /* [batch, kv_stride, kv_heads, d] dtype */
                                     const void* v,   /* [batch, kv_stride, kv_heads, d] dtype */
                                     void* out,       /* [batch, T, q_heads, d] dtype, out */
                                     int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                                     int64_t kv_len, int64_t kv_stride, float scale,
                                     float* workspace, /* [workspace_len] f32, scratch, or NULL */
                                     int64_t workspace_len);

/* ---- softmax and argmax over the last dimension -----------------------------------------------------
 * out[r, c] = exp(x[r, c] - m) / sum_j exp(x[r, j] - m), m = max_j x[r, j], in f32, rounded to out_dtype
 * (any float dtype, independent of dtype: f32 probabilities of bf16 logits). n >= 1. A row holding NaN
 * gives NaN; a row of -inf gives NaN (as torch). out may equal x when the dtypes agree. */
BNB_API bnb_status bnb_cpu_softmax(int32_t dtype, const void* x, /* [rows, n] dtype */
                                   int32_t out_dtype, void* out,  /* [rows, n] out_dtype, out */
                                   int64_t rows, int64_t n);
/* out[r] = the index of the largest x[r, c]; ties go to the lowest index and NaN counts as the largest
 * value (the first NaN wins), as torch.argmax. n >= 1. */
BNB_API bnb_status bnb_cpu_argmax(int32_t dtype, const void* x, /* [rows, n] dtype */
                                  int64_t* out,                 /* [rows] i64, out */
                                  int64_t rows, int64_t n);

/* The same on the GPU: every pointer is device memory; stream is a cudaStream_t (NULL: legacy default).
 * Nothing synchronizes with the host. */
BNB_API bnb_status bnb_cuda_rms_norm(int32_t dtype, const void* x, const void* weight, void* out, float* rstd,
                                     int64_t rows, int64_t n, float eps, void* stream);
BNB_API bnb_status bnb_cuda_rms_norm_backward(int32_t dtype, const void* grad_out, const void* x,
                                              const void* weight, void* grad_x, void* grad_weight, float* rstd,
                                              int64_t rows, int64_t n, float eps, int32_t accumulate,
                                              void* stream);
BNB_API bnb_status bnb_cuda_rope(int32_t dtype, const void* x, void* out, const float* inv_freq, int64_t batch,
                                 int64_t T, int64_t heads, int64_t d, int64_t start, void* stream);
BNB_API bnb_status bnb_cuda_attention(int32_t dtype, const void* q, const void* k, const void* v, void* out,
                                      int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                                      int64_t kv_len, int64_t kv_stride, float scale, float* workspace,
                                      int64_t workspace_len, void* stream);
BNB_API bnb_status bnb_cuda_softmax(int32_t dtype, const void* x, int32_t out_dtype, void* out, int64_t rows,
                                    int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_argmax(int32_t dtype, const void* x, int64_t* out, int64_t rows, int64_t n,
                                   void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_TRANSFORMER_H */
