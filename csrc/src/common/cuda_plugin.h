// The contract between libbnb_cpu (which JavaCPP binds) and a CUDA plugin libbnb_cuda{MAJOR}{MINOR}.
// libbnb_cpu dlopen()s the plugin chosen by the Java loader and calls its single exported symbol,
// bnb_cuda_plugin_init, which fills a table with the plugin's implementation of every bnb_cuda_*
// function of the family headers (bnb/bnb.h lists them). One X-macro list drives the table, the
// forwarders and the plugin's definitions, so adding a CUDA entry point means adding one entry here.
#pragma once

#include <stdarg.h>

#include "bnb/bnb.h"

// 2: blockwise (de)quantization takes the code book and absmax lengths; the optimizer step takes structs.
// 3: bnb_cuda_estimate_quantiles (bnb/quantiles.h).
// 4: the stream-ordered device pool (bnb_cuda_malloc_async, bnb_cuda_free_async) and the nn family
//    (bnb/nn_ops.h).
// 5: the transformer family (bnb/transformer.h) and bnb_cuda_int8_fused_matmul (bnb/int8.h).
// 6: bnb_cuda_nn_cast (bnb/nn_ops.h).
#define BNB_CUDA_PLUGIN_ABI 6

// X(name, (parameters), (arguments)): every bnb_cuda_* function of the family headers, grouped by family
// (bnb/runtime.h, bnb/quant.h, bnb/optim.h, ...). A new family appends its group at the end.
#define BNB_CUDA_FUNCTIONS(X)                                                                                  \
    /* bnb/runtime.h */                                                                                        \
    X(bnb_cuda_backend_info, (int32_t * built_version, int32_t * runtime_version, char* archs, int32_t archs_len), \
      (built_version, runtime_version, archs, archs_len))                                                      \
    X(bnb_cuda_set_device, (int32_t device), (device))                                                         \
    X(bnb_cuda_mem_get_info, (int32_t device, int64_t * free_bytes, int64_t * total_bytes),                    \
      (device, free_bytes, total_bytes))                                                                       \
    X(bnb_cuda_malloc, (int32_t device, int64_t bytes, void** out), (device, bytes, out))                      \
    X(bnb_cuda_free, (int32_t device, void* ptr), (device, ptr))                                               \
    X(bnb_cuda_malloc_async, (int32_t device, int64_t bytes, void* stream, void** out),                        \
      (device, bytes, stream, out))                                                                            \
    X(bnb_cuda_free_async, (int32_t device, void* ptr, void* stream), (device, ptr, stream))                   \
    X(bnb_cuda_malloc_host, (int64_t bytes, void** out), (bytes, out))                                         \
    X(bnb_cuda_free_host, (void* ptr), (ptr))                                                                  \
    X(bnb_cuda_malloc_managed, (int64_t bytes, void** out), (bytes, out))                                      \
    X(bnb_cuda_free_managed, (void* ptr), (ptr))                                                               \
    X(bnb_cuda_prefetch, (void* ptr, int64_t bytes, int32_t device, void* stream, int32_t* prefetched),        \
      (ptr, bytes, device, stream, prefetched))                                                                \
    X(bnb_cuda_memcpy, (void* dst, const void* src, int64_t bytes, int32_t kind, void* stream),                \
      (dst, src, bytes, kind, stream))                                                                         \
    X(bnb_cuda_memset, (void* dst, int32_t value, int64_t bytes, void* stream), (dst, value, bytes, stream))   \
    X(bnb_cuda_stream_create, (int32_t device, void** stream), (device, stream))                               \
    X(bnb_cuda_stream_destroy, (void* stream), (stream))                                                       \
    X(bnb_cuda_stream_synchronize, (void* stream), (stream))                                                   \
    X(bnb_cuda_event_create, (void** event), (event))                                                          \
    X(bnb_cuda_event_destroy, (void* event), (event))                                                          \
    X(bnb_cuda_event_record, (void* event, void* stream), (event, stream))                                     \
    X(bnb_cuda_event_elapsed, (void* start, void* end, float* ms), (start, end, ms))                           \
    /* bnb/quant.h */                                                                                          \
    X(bnb_cuda_quantize_blockwise,                                                                             \
      (int32_t dtype, const float* code, int64_t code_len, const void* A, float* absmax, int64_t absmax_len,   \
       uint8_t* out, int64_t blocksize, int64_t n, void* stream),                                              \
      (dtype, code, code_len, A, absmax, absmax_len, out, blocksize, n, stream))                               \
    X(bnb_cuda_dequantize_blockwise,                                                                           \
      (int32_t dtype, const float* code, int64_t code_len, const uint8_t* A, const float* absmax,              \
       int64_t absmax_len, void* out, int64_t blocksize, int64_t n, void* stream),                             \
      (dtype, code, code_len, A, absmax, absmax_len, out, blocksize, n, stream))                               \
    X(bnb_cuda_center_f32, (const float* x, float* out, float* mean, int64_t n, void* stream),                 \
      (x, out, mean, n, stream))                                                                               \
    X(bnb_cuda_add_offset_f32, (const float* x, float* out, const float* offset, int64_t n, void* stream),     \
      (x, out, offset, n, stream))                                                                             \
    /* bnb/optim.h */                                                                                          \
    X(bnb_cuda_optimizer_step,                                                                                 \
      (int32_t optimizer, int32_t param_dtype, int32_t state_bits, const bnb_optim_tensors* tensors,           \
       const float* qmap1, const float* qmap2, const bnb_optim_hparams* hparams, void* stream),                \
      (optimizer, param_dtype, state_bits, tensors, qmap1, qmap2, hparams, stream))                            \
    /* bnb/fourbit.h */                                                                                        \
    X(bnb_cuda_quantize_4bit,                                                                                  \
      (int32_t dtype, int32_t quant_type, const void* A, float* absmax, uint8_t* packed, int64_t blocksize,    \
       int64_t n, void* stream),                                                                               \
      (dtype, quant_type, A, absmax, packed, blocksize, n, stream))                                            \
    X(bnb_cuda_dequantize_4bit,                                                                                \
      (int32_t dtype, int32_t quant_type, const uint8_t* packed, const float* absmax, void* out,               \
       int64_t blocksize, int64_t n, void* stream),                                                            \
      (dtype, quant_type, packed, absmax, out, blocksize, n, stream))                                          \
    X(bnb_cuda_dequantize_4bit_nested,                                                                         \
      (int32_t dtype, int32_t quant_type, const uint8_t* packed, const bnb_4bit_nested_absmax* absmax,         \
       void* out, int64_t blocksize, int64_t n, void* stream),                                                 \
      (dtype, quant_type, packed, absmax, out, blocksize, n, stream))                                          \
    X(bnb_cuda_gemv_4bit,                                                                                      \
      (int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed, const float* absmax,           \
       const void* bias, void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize, void* stream),         \
      (dtype, quant_type, A, packed, absmax, bias, out, m, n, k, blocksize, stream))                           \
    X(bnb_cuda_gemv_4bit_nested,                                                                               \
      (int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,                                \
       const bnb_4bit_nested_absmax* absmax, const void* bias, void* out, int64_t m, int64_t n, int64_t k,     \
       int64_t blocksize, void* stream),                                                                       \
      (dtype, quant_type, A, packed, absmax, bias, out, m, n, k, blocksize, stream))                           \
    /* bnb/quantiles.h */                                                                                      \
    X(bnb_cuda_estimate_quantiles,                                                                             \
      (int32_t dtype, const void* A, float* out, float offset, int32_t num_quantiles, int64_t n,               \
       void* stream),                                                                                          \
      (dtype, A, out, offset, num_quantiles, n, stream))                                                       \
    /* bnb/int8.h */                                                                                           \
    X(bnb_cuda_int8_vectorwise_quant,                                                                          \
      (int32_t dtype, const void* A, int64_t rows, int64_t cols, float threshold, int8_t* codes,               \
       float* row_stats, int64_t* outlier_cols, int64_t* n_outliers, void* stream),                            \
      (dtype, A, rows, cols, threshold, codes, row_stats, outlier_cols, n_outliers, stream))                   \
    X(bnb_cuda_int8_vectorwise_dequant,                                                                        \
      (int32_t dtype, const int8_t* codes, const float* row_stats, int64_t rows, int64_t cols, void* out,      \
       void* stream),                                                                                          \
      (dtype, codes, row_stats, rows, cols, out, stream))                                                      \
    X(bnb_cuda_int8_mm_dequant,                                                                                \
      (int32_t dtype, const int32_t* C, const float* row_stats, const float* col_stats, const void* bias,      \
       void* out, int64_t M, int64_t N, void* stream),                                                         \
      (dtype, C, row_stats, col_stats, bias, out, M, N, stream))                                               \
    X(bnb_cuda_int8_gather_columns,                                                                            \
      (int32_t dtype, const void* A, int64_t rows, int64_t cols, const int64_t* columns, int64_t n_columns,    \
       void* out, void* stream),                                                                               \
      (dtype, A, rows, cols, columns, n_columns, out, stream))                                                 \
    X(bnb_cuda_int8_dequant_columns,                                                                           \
      (int32_t dtype, const int8_t* codes, const float* row_stats, int64_t rows, int64_t cols,                 \
       const int64_t* columns, int64_t n_columns, void* out, void* stream),                                    \
      (dtype, codes, row_stats, rows, cols, columns, n_columns, out, stream))                                  \
    X(bnb_cuda_int8_fused_matmul,                                                                              \
      (int32_t dtype, const void* A, const int8_t* CB, const float* SCB, const void* bias, int64_t M,          \
       int64_t N, int64_t K, float threshold, int8_t* codes, float* row_stats, int32_t* outlier_state,         \
       void* out, void* stream),                                                                               \
      (dtype, A, CB, SCB, bias, M, N, K, threshold, codes, row_stats, outlier_state, out, stream))             \
    /* bnb/nn_ops.h */                                                                                         \
    X(bnb_cuda_nn_activation,                                                                                  \
      (int32_t dtype, int32_t activation, const void* x, void* y, int64_t n, void* stream),                    \
      (dtype, activation, x, y, n, stream))                                                                    \
    X(bnb_cuda_nn_activation_backward,                                                                         \
      (int32_t dtype, int32_t activation, const void* x, const void* grad_y, void* grad_x, int64_t n,          \
       void* stream),                                                                                          \
      (dtype, activation, x, grad_y, grad_x, n, stream))                                                       \
    X(bnb_cuda_nn_swiglu,                                                                                      \
      (int32_t dtype, const void* gate, const void* up, void* out, int64_t n, void* stream),                   \
      (dtype, gate, up, out, n, stream))                                                                       \
    X(bnb_cuda_nn_swiglu_backward,                                                                             \
      (int32_t dtype, const void* gate, const void* up, const void* grad_out, void* grad_gate, void* grad_up,  \
       int64_t n, void* stream),                                                                               \
      (dtype, gate, up, grad_out, grad_gate, grad_up, n, stream))                                              \
    X(bnb_cuda_nn_add,                                                                                         \
      (int32_t dtype, const void* a, const void* b, float alpha, void* out, int64_t n, int64_t nb,             \
       void* stream),                                                                                          \
      (dtype, a, b, alpha, out, n, nb, stream))                                                                \
    X(bnb_cuda_nn_mul,                                                                                         \
      (int32_t dtype, const void* a, const void* b, void* out, int64_t n, int64_t nb, void* stream),           \
      (dtype, a, b, out, n, nb, stream))                                                                       \
    X(bnb_cuda_nn_scale,                                                                                       \
      (int32_t dtype, const void* x, float s, void* out, int64_t n, void* stream),                             \
      (dtype, x, s, out, n, stream))                                                                           \
    X(bnb_cuda_nn_dropout,                                                                                     \
      (int32_t dtype, const void* x, float p, uint64_t seed, uint64_t offset, void* out, int64_t n,            \
       void* stream),                                                                                          \
      (dtype, x, p, seed, offset, out, n, stream))                                                             \
    X(bnb_cuda_nn_sum_rows,                                                                                    \
      (int32_t dtype, const void* x, int64_t rows, int64_t cols, void* out, int32_t accumulate, void* stream), \
      (dtype, x, rows, cols, out, accumulate, stream))                                                         \
    X(bnb_cuda_nn_layer_norm,                                                                                  \
      (int32_t dtype, const void* x, const void* weight, const void* bias, float eps, int64_t rows,            \
       int64_t cols, void* y, float* mean, float* rstd, void* stream),                                         \
      (dtype, x, weight, bias, eps, rows, cols, y, mean, rstd, stream))                                        \
    X(bnb_cuda_nn_layer_norm_backward,                                                                         \
      (int32_t dtype, const void* grad_y, const void* x, const void* weight, const float* mean,                \
       const float* rstd, int64_t rows, int64_t cols, void* grad_x, void* grad_weight, void* grad_bias,        \
       void* stream),                                                                                          \
      (dtype, grad_y, x, weight, mean, rstd, rows, cols, grad_x, grad_weight, grad_bias, stream))              \
    X(bnb_cuda_nn_embedding,                                                                                   \
      (const void* weight, int64_t num_rows, int64_t row_bytes, int32_t index_dtype, const void* indices,       \
       int64_t n, void* out, int64_t* bad_index, int64_t* bad_index_host, void* stream),                       \
      (weight, num_rows, row_bytes, index_dtype, indices, n, out, bad_index, bad_index_host, stream))           \
    X(bnb_cuda_nn_embedding_backward,                                                                          \
      (int32_t dtype, const void* grad_out, int32_t index_dtype, const void* indices, int64_t n,               \
       int64_t num_rows, int64_t dim, int64_t padding_idx, void* grad_table, int64_t* bad_index,               \
       int64_t* bad_index_host, void* stream),                                                                 \
      (dtype, grad_out, index_dtype, indices, n, num_rows, dim, padding_idx, grad_table, bad_index,            \
       bad_index_host, stream))                                                                                \
    X(bnb_cuda_nn_cross_entropy,                                                                               \
      (int32_t dtype, const void* logits, int32_t label_dtype, const void* labels, int64_t rows,               \
       int64_t classes, int64_t ignore_index, float* loss, float* lse, float* count, int64_t* bad_index,       \
       int64_t* bad_index_host, void* stream),                                                                 \
      (dtype, logits, label_dtype, labels, rows, classes, ignore_index, loss, lse, count, bad_index,           \
       bad_index_host, stream))                                                                                \
    X(bnb_cuda_nn_cross_entropy_backward,                                                                      \
      (int32_t dtype, const void* logits, int32_t label_dtype, const void* labels, const float* lse,           \
       const float* count, const float* grad_loss, int64_t rows, int64_t classes, int64_t ignore_index,        \
       void* grad_logits, void* stream),                                                                       \
      (dtype, logits, label_dtype, labels, lse, count, grad_loss, rows, classes, ignore_index, grad_logits,    \
       stream))                                                                                                \
    /* bnb/transformer.h */                                                                                    \
    X(bnb_cuda_rms_norm,                                                                                       \
      (int32_t dtype, const void* x, const void* weight, void* out, float* rstd, int64_t rows, int64_t n,      \
       float eps, void* stream),                                                                               \
      (dtype, x, weight, out, rstd, rows, n, eps, stream))                                                     \
    X(bnb_cuda_rms_norm_backward,                                                                              \
      (int32_t dtype, const void* grad_out, const void* x, const void* weight, void* grad_x,                   \
       void* grad_weight, float* rstd, int64_t rows, int64_t n, float eps, int32_t accumulate, void* stream),  \
      (dtype, grad_out, x, weight, grad_x, grad_weight, rstd, rows, n, eps, accumulate, stream))               \
    X(bnb_cuda_rope,                                                                                           \
      (int32_t dtype, const void* x, void* out, const float* inv_freq, int64_t batch, int64_t T,               \
       int64_t heads, int64_t d, int64_t start, void* stream),                                                 \
      (dtype, x, out, inv_freq, batch, T, heads, d, start, stream))                                            \
    X(bnb_cuda_attention,                                                                                      \
      (int32_t dtype, const void* q, const void* k, const void* v, void* out, int64_t batch, int64_t T,        \
       int64_t q_heads, int64_t kv_heads, int64_t d, int64_t kv_len, int64_t kv_stride, float scale,           \
       float* workspace, int64_t workspace_len, void* stream),                                                 \
      (dtype, q, k, v, out, batch, T, q_heads, kv_heads, d, kv_len, kv_stride, scale, workspace,               \
       workspace_len, stream))                                                                                 \
    X(bnb_cuda_softmax,                                                                                        \
      (int32_t dtype, const void* x, int32_t out_dtype, void* out, int64_t rows, int64_t n, void* stream),     \
      (dtype, x, out_dtype, out, rows, n, stream))                                                             \
    X(bnb_cuda_argmax, (int32_t dtype, const void* x, int64_t* out, int64_t rows, int64_t n, void* stream),    \
      (dtype, x, out, rows, n, stream))                                                                        \
    /* bnb/nn_ops.h, continued */                                                                              \
    X(bnb_cuda_nn_cast,                                                                                        \
      (int32_t src_dtype, const void* x, int32_t dst_dtype, void* out, int64_t n, void* stream),               \
      (src_dtype, x, dst_dtype, out, n, stream))

#define BNB_CUDA_TABLE_ENTRY(name, params, args) bnb_status(*name) params;
struct bnb_cuda_table {
    BNB_CUDA_FUNCTIONS(BNB_CUDA_TABLE_ENTRY)
};
#undef BNB_CUDA_TABLE_ENTRY

// Lets the plugin record errors in libbnb_cpu's per-thread slot, so bnb_last_error() sees them.
typedef void (*bnb_error_sink)(const char* detail);

// The plugin's only exported symbol. Fills table; returns BNB_ERR_UNSUPPORTED if abi differs.
extern "C" typedef bnb_status (*bnb_cuda_plugin_init_fn)(int32_t abi, bnb_error_sink sink, bnb_cuda_table* table);
#define BNB_CUDA_PLUGIN_INIT_SYMBOL "bnb_cuda_plugin_init"
