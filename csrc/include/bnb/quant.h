/*
 * bnb4j C API, quantization family: 8-bit blockwise quantization and the centring of nested absmax.
 * Conventions: bnb/bnb.h.
 */
#ifndef BNB_QUANT_H
#define BNB_QUANT_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Entries of an 8-bit code book. */
#define BNB_CODE_BOOK_8BIT 256

/* ---- 8-bit blockwise quantization ----------------------------------------------------------- */
/* dtype: BNB_F32, BNB_F16 or BNB_BF16 (the type of A / out).
 * blocksize: CPU any value >= 1; CUDA one of 64, 128, 256, 512, 1024, 2048, 4096.
 * code_len and absmax_len are the element counts of the buffers passed: code_len must be 256 and
 * absmax_len at least ceil(n / blocksize), else BNB_ERR_INVALID_ARGUMENT (nothing is read or written).
 * Quantize: absmax[b] = max |A| over block b; out[i] = nearest code to A[i] * (1 / absmax[b]),
 * exact midpoint ties to the even index (upstream CUDA's dQuantize). */
BNB_API bnb_status bnb_cpu_quantize_blockwise(int32_t dtype,
                                              const float* code,  /* [code_len] f32, ascending */
                                              int64_t code_len,   /* 256 */
                                              const void* A,      /* [n] dtype */
                                              float* absmax,      /* [absmax_len] f32, out */
                                              int64_t absmax_len, /* >= ceil(n/blocksize) */
                                              uint8_t* out,       /* [n] u8, out */
                                              int64_t blocksize, int64_t n);
/* out[i] = code[A[i]] * absmax[i / blocksize], computed in f32, rounded to nearest even in dtype. */
BNB_API bnb_status bnb_cpu_dequantize_blockwise(int32_t dtype,
                                                const float* code,   /* [code_len] f32 */
                                                int64_t code_len,    /* 256 */
                                                const uint8_t* A,    /* [n] u8 */
                                                const float* absmax, /* [absmax_len] f32 */
                                                int64_t absmax_len,  /* >= ceil(n/blocksize) */
                                                void* out,           /* [n] dtype, out */
                                                int64_t blocksize, int64_t n);
/* The same on the GPU: every pointer is device memory; stream is a cudaStream_t (NULL: legacy default). */
BNB_API bnb_status bnb_cuda_quantize_blockwise(int32_t dtype,
                                               const float* code,  /* [code_len] f32, ascending */
                                               int64_t code_len,   /* 256 */
                                               const void* A,      /* [n] dtype */
                                               float* absmax,      /* [absmax_len] f32, out */
                                               int64_t absmax_len, /* >= ceil(n/blocksize) */
                                               uint8_t* out,       /* [n] u8, out */
                                               int64_t blocksize, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_dequantize_blockwise(int32_t dtype,
                                                 const float* code,   /* [code_len] f32 */
                                                 int64_t code_len,    /* 256 */
                                                 const uint8_t* A,    /* [n] u8 */
                                                 const float* absmax, /* [absmax_len] f32 */
                                                 int64_t absmax_len,  /* >= ceil(n/blocksize) */
                                                 void* out,           /* [n] dtype, out */
                                                 int64_t blocksize, int64_t n, void* stream);

/* ---- centring (nested absmax) ---------------------------------------------------------------- */
/* mean[0] = mean(x) (accumulated in double, rounded to f32); out[i] = x[i] - mean[0].
 * Used to centre absmax before nested quantization. out may equal x. */
BNB_API bnb_status bnb_cpu_center_f32(const float* x,   /* [n] */
                                      float* out,       /* [n], out */
                                      float* mean,      /* [1], out */
                                      int64_t n);
BNB_API bnb_status bnb_cuda_center_f32(const float* x,  /* [n] device */
                                       float* out,      /* [n] device, out */
                                       float* mean,     /* [1] device, out */
                                       int64_t n, void* stream);
/* out[i] = x[i] + offset[0]: undoes bnb_*_center_f32 after dequantizing nested absmax. out may equal x. */
BNB_API bnb_status bnb_cpu_add_offset_f32(const float* x,      /* [n] */
                                          float* out,          /* [n], out */
                                          const float* offset, /* [1] */
                                          int64_t n);
BNB_API bnb_status bnb_cuda_add_offset_f32(const float* x,      /* [n] device */
                                           float* out,          /* [n] device, out */
                                           const float* offset, /* [1] device */
                                           int64_t n, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_QUANT_H */
