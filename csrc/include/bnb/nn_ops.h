/*
 * bnb4j C API, nn family: the functional ops the layers of bnb-nn are built from. Activations and their
 * gradients, SwiGLU, elementwise add/mul/scale, dtype casts, column sums, LayerNorm, embedding gather and scatter-add,
 * dropout (Philox4x32-10, the same mask on every backend) and softmax cross-entropy. Conventions: bnb/bnb.h.
 *
 * dtype is BNB_F32, BNB_F16 or BNB_BF16 (anything else: BNB_ERR_UNSUPPORTED) and names the element type of
 * every float buffer of a call unless its comment says f32. Arithmetic is f32; each output element is rounded
 * once to dtype (round to nearest even). Counts are >= 0 (an empty input reads and writes nothing); matrices
 * are row-major and dense. Outputs may alias inputs only where a comment says so. The CPU and CUDA functions
 * of a pair compute the same formula; they agree to f32 rounding (transcendentals differ by an ulp or two),
 * except dropout's mask, which is the same bits.
 *
 * Index errors (embedding indices, cross-entropy labels). The CPU functions check every index before writing
 * anything and fail with BNB_ERR_INVALID_ARGUMENT naming its position and value. The CUDA functions cannot
 * without a host sync: they never read or write out of bounds (an out-of-range embedding index gives a zero
 * row and no gradient; an out-of-range label gives a NaN loss and a zero gradient row), and they record the
 * first bad index they meet in bad_index, device memory [2] i64 that the caller sets to -1 beforehand:
 * bad_index[0] = its position, bad_index[1] = its value (bad_index[0] is claimed with an atomic
 * compare-and-swap from -1, so the two words always describe the same index). After the kernel, the call
 * copies bad_index into bad_index_host ([2] i64 page-locked host memory, or NULL for no copy) with an
 * asynchronous copy on the same stream, so the caller can look at it later without synchronizing.
 */
#ifndef BNB_NN_OPS_H
#define BNB_NN_OPS_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Activations. Forward y = f(x); backward grad_x = grad_y * f'(x), from the forward's input x.
 *   RELU       f(x) = max(x, 0) (NaN stays NaN); f'(x) = 1 for x > 0, else 0
 *   GELU_ERF   f(x) = x/2 * (1 + erf(x/sqrt(2)))                            (torch gelu, approximate='none')
 *   GELU_TANH  f(x) = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))    (torch gelu, approximate='tanh')
 *   TANH       f(x) = tanh(x); f'(x) = 1 - tanh(x)^2
 *   SILU       f(x) = x * sigmoid(x); f'(x) = s * (1 + x * (1 - s)), s = sigmoid(x) */
#define BNB_ACT_RELU 0
#define BNB_ACT_GELU_ERF 1
#define BNB_ACT_GELU_TANH 2
#define BNB_ACT_TANH 3
#define BNB_ACT_SILU 4

/* ---- pointwise ---------------------------------------------------------------------------------------
 * y may alias x; grad_x may alias grad_y. */
BNB_API bnb_status bnb_cpu_nn_activation(int32_t dtype, int32_t activation,
                                         const void* x, /* [n] */
                                         void* y,       /* [n], out */
                                         int64_t n);
BNB_API bnb_status bnb_cpu_nn_activation_backward(int32_t dtype, int32_t activation,
                                                  const void* x,      /* [n] the forward's input */
                                                  const void* grad_y, /* [n] */
                                                  void* grad_x,       /* [n], out */
                                                  int64_t n);
/* SwiGLU (Llama's MLP): out = silu(gate) * up. Backward: grad_gate = grad_out * up * silu'(gate),
 * grad_up = grad_out * silu(gate). out may alias gate or up; grad_gate and grad_up may alias grad_out. */
BNB_API bnb_status bnb_cpu_nn_swiglu(int32_t dtype,
                                     const void* gate, /* [n] */
                                     const void* up,   /* [n] */
                                     void* out,        /* [n], out */
                                     int64_t n);
BNB_API bnb_status bnb_cpu_nn_swiglu_backward(int32_t dtype,
                                              const void* gate,     /* [n] */
                                              const void* up,       /* [n] */
                                              const void* grad_out, /* [n] */
                                              void* grad_gate,      /* [n], out */
                                              void* grad_up,        /* [n], out */
                                              int64_t n);
/* out[i] = a[i] + alpha * b[i % nb]; out may alias a (gradient accumulation: a += alpha * b). nb >= 1 divides
 * n, so a bias [N] broadcasts over the rows of an [M, N] matrix (nb = n: plain elementwise). */
BNB_API bnb_status bnb_cpu_nn_add(int32_t dtype,
                                  const void* a, /* [n] */
                                  const void* b, /* [nb] */
                                  float alpha,
                                  void* out,     /* [n], out */
                                  int64_t n, int64_t nb);
/* out[i] = a[i] * b[i % nb]; out may alias a; nb as for add. */
BNB_API bnb_status bnb_cpu_nn_mul(int32_t dtype,
                                  const void* a, /* [n] */
                                  const void* b, /* [nb] */
                                  void* out,     /* [n], out */
                                  int64_t n, int64_t nb);
/* out[i] = x[i] * s; out may alias x. */
BNB_API bnb_status bnb_cpu_nn_scale(int32_t dtype,
                                    const void* x, /* [n] */
                                    float s,
                                    void* out,     /* [n], out */
                                    int64_t n);
/* Dtype conversion: out[i] = x[i] converted from src_dtype to dst_dtype (each BNB_F32, BNB_F16 or BNB_BF16),
 * through f32 (exact from 16 bits) with one rounding to nearest even; NaN stays NaN (sign and payload not kept),
 * values beyond the target's range become infinities. src_dtype == dst_dtype copies. out must not overlap x. */
BNB_API bnb_status bnb_cpu_nn_cast(int32_t src_dtype,
                                   const void* x,  /* [n] src_dtype */
                                   int32_t dst_dtype,
                                   void* out,      /* [n] dst_dtype, out */
                                   int64_t n);
/* Dropout with p in [0, 1]: element i is kept when (w >> 8) >= round(p * 2^24), where w is word i % 4 of
 * Philox4x32-10 (key = seed as {low, high} 32-bit words, counter = {low, high} words of offset + i / 4, 0, 0);
 * out[i] = x[i] * (1 / (1 - p)) when kept (the factor an f32; 0 for p = 1), else 0. The backward of dropout is
 * the same call on grad_y with the same p, seed and offset. A caller that draws several masks from one seed
 * advances offset by ceil(n / 4) per call. out may alias x. */
BNB_API bnb_status bnb_cpu_nn_dropout(int32_t dtype,
                                      const void* x, /* [n] */
                                      float p, uint64_t seed, uint64_t offset,
                                      void* out,     /* [n], out */
                                      int64_t n);

/* ---- reductions over rows ------------------------------------------------------------------------------
 * out[c] = sum over r of x[r, c], in f32 (the bias gradient of a linear layer), rounded once to dtype; with
 * accumulate != 0 the previous out[c] is added to the sum before rounding. */
BNB_API bnb_status bnb_cpu_nn_sum_rows(int32_t dtype,
                                       const void* x, /* [rows, cols] */
                                       int64_t rows, int64_t cols,
                                       void* out,     /* [cols], out (read too when accumulate) */
                                       int32_t accumulate);

/* LayerNorm over the last dimension (torch semantics, biased variance):
 *   mean[r] = sum_c x[r, c] / cols,  var[r] = sum_c (x[r, c] - mean[r])^2 / cols,  rstd[r] = 1 / sqrt(var + eps)
 *   y[r, c] = (x[r, c] - mean[r]) * rstd[r] * weight[c] + bias[c]   (weight 1 and bias 0 where NULL)
 * eps >= 0 and finite; cols >= 1. mean and rstd: f32 [rows] for the backward, or NULL. */
BNB_API bnb_status bnb_cpu_nn_layer_norm(int32_t dtype,
                                         const void* x,      /* [rows, cols] */
                                         const void* weight, /* [cols], or NULL */
                                         const void* bias,   /* [cols], or NULL */
                                         float eps, int64_t rows, int64_t cols,
                                         void* y,            /* [rows, cols], out */
                                         float* mean,        /* [rows] f32, out, or NULL */
                                         float* rstd);       /* [rows] f32, out, or NULL */
/* With xhat = (x - mean) * rstd and g = grad_y * weight (grad_y where weight is NULL):
 *   grad_x[r, c]     = rstd[r] * (g - sum_c(g) / cols - xhat * sum_c(g * xhat) / cols)
 *   grad_weight[c]  += sum_r grad_y[r, c] * xhat[r, c]        grad_bias[c] += sum_r grad_y[r, c]
 * (f32 sums, each gradient rounded once to dtype). Each output may be NULL (not computed). */
BNB_API bnb_status bnb_cpu_nn_layer_norm_backward(int32_t dtype,
                                                  const void* grad_y, /* [rows, cols] */
                                                  const void* x,      /* [rows, cols] */
                                                  const void* weight, /* [cols], or NULL */
                                                  const float* mean,  /* [rows] f32 */
                                                  const float* rstd,  /* [rows] f32 */
                                                  int64_t rows, int64_t cols,
                                                  void* grad_x,       /* [rows, cols], out, or NULL */
                                                  void* grad_weight,  /* [cols], accumulated, or NULL */
                                                  void* grad_bias);   /* [cols], accumulated, or NULL */

/* ---- embedding -----------------------------------------------------------------------------------------
 * out[i, :] = weight[indices[i], :] for i < n: rows of row_bytes bytes (any element type: f32/f16/bf16 rows,
 * the packed codes of an 8-bit or 4-bit table, their scales). index_dtype is BNB_I32 or BNB_I64; an index must
 * lie in [0, num_rows) (see "Index errors" above). */
BNB_API bnb_status bnb_cpu_nn_embedding(const void* weight,  /* [num_rows, row_bytes] bytes: the table */
                                        int64_t num_rows, int64_t row_bytes,
                                        int32_t index_dtype,
                                        const void* indices, /* [n] index_dtype */
                                        int64_t n,
                                        void* out);          /* [n, row_bytes] bytes, out */
/* grad_table[indices[i], :] += grad_out[i, :] for every i with indices[i] != padding_idx (padding_idx < 0:
 * none). The CPU adds in the order of i, rounding to dtype after each add. CUDA: f32 tables by atomic f32
 * adds; f16/bf16 tables by compare-and-swap adds of the f32 sum rounded to dtype; the order of the adds to one
 * row (so the rounding of the result, not its value to f32 precision) depends on scheduling. */
BNB_API bnb_status bnb_cpu_nn_embedding_backward(int32_t dtype,
                                                 const void* grad_out, /* [n, dim] */
                                                 int32_t index_dtype,
                                                 const void* indices,  /* [n] index_dtype */
                                                 int64_t n, int64_t num_rows, int64_t dim, int64_t padding_idx,
                                                 void* grad_table);    /* [num_rows, dim], accumulated */

/* ---- softmax cross-entropy -----------------------------------------------------------------------------
 * Rows with labels[m] == ignore_index are ignored; other labels lie in [0, classes). With
 * lse[m] = log(sum_c exp(logits[m, c])) (max-shifted, f32):
 *   loss = sum over kept rows of (lse[m] - logits[m, labels[m]]) / count,   count = the number of kept rows
 * (0/0 = NaN when every row is ignored, as torch). Writes loss, lse (ignored rows too) and count for the
 * backward. classes >= 1. */
BNB_API bnb_status bnb_cpu_nn_cross_entropy(int32_t dtype,
                                            const void* logits, /* [rows, classes] */
                                            int32_t label_dtype,
                                            const void* labels, /* [rows] label_dtype (BNB_I32 or BNB_I64) */
                                            int64_t rows, int64_t classes, int64_t ignore_index,
                                            float* loss,        /* [1] f32, out */
                                            float* lse,         /* [rows] f32, out */
                                            float* count);      /* [1] f32, out */
/* grad_logits[m, c] = g * (exp(logits[m, c] - lse[m]) - (c == labels[m])) / count for kept rows, 0 for
 * ignored ones; g = *grad_loss (f32, read where the data lives: host for the CPU function, device for CUDA),
 * 1 when grad_loss is NULL. */
BNB_API bnb_status bnb_cpu_nn_cross_entropy_backward(int32_t dtype,
                                                     const void* logits,     /* [rows, classes] */
                                                     int32_t label_dtype,
                                                     const void* labels,     /* [rows] */
                                                     const float* lse,       /* [rows] f32 */
                                                     const float* count,     /* [1] f32 */
                                                     const float* grad_loss, /* [1] f32, or NULL */
                                                     int64_t rows, int64_t classes, int64_t ignore_index,
                                                     void* grad_logits);     /* [rows, classes], out */

/* The same on the GPU: every pointer is device memory except bad_index_host; stream is a cudaStream_t
 * (NULL: legacy default). */
BNB_API bnb_status bnb_cuda_nn_activation(int32_t dtype, int32_t activation, const void* x, void* y, int64_t n,
                                          void* stream);
BNB_API bnb_status bnb_cuda_nn_activation_backward(int32_t dtype, int32_t activation, const void* x,
                                                   const void* grad_y, void* grad_x, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_nn_swiglu(int32_t dtype, const void* gate, const void* up, void* out, int64_t n,
                                      void* stream);
BNB_API bnb_status bnb_cuda_nn_swiglu_backward(int32_t dtype, const void* gate, const void* up,
                                               const void* grad_out, void* grad_gate, void* grad_up, int64_t n,
                                               void* stream);
BNB_API bnb_status bnb_cuda_nn_add(int32_t dtype, const void* a, const void* b, float alpha, void* out, int64_t n,
                                   int64_t nb, void* stream);
BNB_API bnb_status bnb_cuda_nn_mul(int32_t dtype, const void* a, const void* b, void* out, int64_t n, int64_t nb,
                                   void* stream);
BNB_API bnb_status bnb_cuda_nn_scale(int32_t dtype, const void* x, float s, void* out, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_nn_cast(int32_t src_dtype, const void* x, int32_t dst_dtype, void* out, int64_t n,
                                    void* stream);
BNB_API bnb_status bnb_cuda_nn_dropout(int32_t dtype, const void* x, float p, uint64_t seed, uint64_t offset,
                                       void* out, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_nn_sum_rows(int32_t dtype, const void* x, int64_t rows, int64_t cols, void* out,
                                        int32_t accumulate, void* stream);
BNB_API bnb_status bnb_cuda_nn_layer_norm(int32_t dtype, const void* x, const void* weight, const void* bias,
                                          float eps, int64_t rows, int64_t cols, void* y, float* mean, float* rstd,
                                          void* stream);
BNB_API bnb_status bnb_cuda_nn_layer_norm_backward(int32_t dtype, const void* grad_y, const void* x,
                                                   const void* weight, const float* mean, const float* rstd,
                                                   int64_t rows, int64_t cols, void* grad_x, void* grad_weight,
                                                   void* grad_bias, void* stream);
BNB_API bnb_status bnb_cuda_nn_embedding(const void* weight, int64_t num_rows, int64_t row_bytes, int32_t index_dtype,
                                         const void* indices, int64_t n, void* out,
                                         int64_t* bad_index,      /* [2] i64 device */
                                         int64_t* bad_index_host, /* [2] i64 pinned host, or NULL */
                                         void* stream);
BNB_API bnb_status bnb_cuda_nn_embedding_backward(int32_t dtype, const void* grad_out, int32_t index_dtype,
                                                  const void* indices, int64_t n, int64_t num_rows, int64_t dim,
                                                  int64_t padding_idx, void* grad_table, int64_t* bad_index,
                                                  int64_t* bad_index_host, void* stream);
BNB_API bnb_status bnb_cuda_nn_cross_entropy(int32_t dtype, const void* logits, int32_t label_dtype,
                                             const void* labels, int64_t rows, int64_t classes,
                                             int64_t ignore_index, float* loss, float* lse, float* count,
                                             int64_t* bad_index, int64_t* bad_index_host, void* stream);
BNB_API bnb_status bnb_cuda_nn_cross_entropy_backward(int32_t dtype, const void* logits, int32_t label_dtype,
                                                      const void* labels, const float* lse, const float* count,
                                                      const float* grad_loss, int64_t rows, int64_t classes,
                                                      int64_t ignore_index, void* grad_logits, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_NN_OPS_H */
