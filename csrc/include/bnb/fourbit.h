/*
 * bnb4j C API, 4-bit family: NF4/FP4 blockwise quantization (upstream bitsandbytes' quantize_4bit /
 * dequantize_4bit, spec 3.2, 3.3, 3.7) and the 4-bit matrix-vector product (gemv_4bit, spec 3.13).
 * Conventions: bnb/bnb.h.
 *
 * Layout of a 4-bit tensor of n values with block size bs (upstream's, so checkpoints interchange):
 *  - packed  [ceil(n/2)] u8: value 2j in the high nibble of byte j, value 2j+1 in the low nibble; for odd
 *            n the last low nibble holds the code of a padding 0.0 (0b0111 for NF4, 0b0000 for FP4, in a
 *            block whose absmax is not 0);
 *  - absmax  [ceil(n/bs)] f32: the largest |value| of each block (plain), or
 *  - nested  absmax compressed to 8 bits (upstream's compress_statistics): see bnb_4bit_nested_absmax.
 * A weight [N, K] is the flattened [N*K] tensor, so row r starts at value r*K.
 * quantize: absmax[b] = max |A| over block b (NaN ignored), scale = 1 / absmax[b] (f32 division), and
 * code(i) = upstream's dQuantizeNF4 / dQuantizeFP4 decision tree applied to A[i] * scale.
 * dequantize: out[i] = value(code(i)) * absmax[i / bs] in f32, rounded to nearest even in dtype.
 * Both are bit-identical on the CPU and on CUDA, and to upstream's CUDA kernels.
 */
#ifndef BNB_FOURBIT_H
#define BNB_FOURBIT_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 4-bit quant types, numbered as upstream's gemm_4bit quant_type argument. */
#define BNB_QUANT_FP4 1
#define BNB_QUANT_NF4 2

/* Values per block of the nested absmax (upstream requires 256). */
#define BNB_NESTED_BLOCKSIZE 256

/* Nested absmax of a 4-bit tensor with B = ceil(n/blocksize) blocks (upstream's QuantState with
 * state2): absmax[b] = code[codes[b]] * absmax2[b / 256] + offset[0], as two f32 operations (product
 * rounded, then sum rounded), computed inside the 4-bit kernels. Every pointer is device memory for
 * bnb_cuda_ functions; the struct itself is host memory. */
typedef struct bnb_4bit_nested_absmax {
    const uint8_t* codes;  /* [B] u8: 8-bit blockwise codes of absmax - offset ("absmax" of the state) */
    const float* code;     /* [256] f32: their code book ("nested_quant_map", the signed dynamic map) */
    const float* absmax2;  /* [ceil(B/256)] f32: absmax of each block of 256 codes ("nested_absmax") */
    const float* offset;   /* [1] f32: the mean subtracted before quantizing ("nested_offset") */
} bnb_4bit_nested_absmax;

/* dtype: BNB_F32, BNB_F16 or BNB_BF16 (of A / out). quant_type: BNB_QUANT_NF4 or BNB_QUANT_FP4.
 * blocksize: 32, 64, 128, 256, 512, 1024, 2048 or 4096. n >= 0 values; n == 0 does nothing. */
BNB_API bnb_status bnb_cpu_quantize_4bit(int32_t dtype, int32_t quant_type,
                                         const void* A,    /* [n] dtype */
                                         float* absmax,    /* [ceil(n/blocksize)] f32, out */
                                         uint8_t* packed,  /* [ceil(n/2)] u8, out */
                                         int64_t blocksize, int64_t n);
BNB_API bnb_status bnb_cpu_dequantize_4bit(int32_t dtype, int32_t quant_type,
                                           const uint8_t* packed, /* [ceil(n/2)] u8 */
                                           const float* absmax,   /* [ceil(n/blocksize)] f32 */
                                           void* out,             /* [n] dtype, out */
                                           int64_t blocksize, int64_t n);
BNB_API bnb_status bnb_cpu_dequantize_4bit_nested(int32_t dtype, int32_t quant_type,
                                                  const uint8_t* packed,                 /* [ceil(n/2)] u8 */
                                                  const bnb_4bit_nested_absmax* absmax,  /* [1] */
                                                  void* out,                             /* [n] dtype, out */
                                                  int64_t blocksize, int64_t n);

/* out[i, j] = sum_k A[i, k] * W[j, k] (+ bias[j]) for i < m, j < n, with W [n, k] the dequantized 4-bit
 * weight (row j = values j*k .. j*k + k - 1 of the packed tensor). The weight is read once, without
 * materialising W; products and sums in f32 (summation order differs between backends), out rounded to
 * dtype once. m: 1..BNB_GEMV_4BIT_MAX_ROWS (a larger batch goes through dequantize + a dense GEMM);
 * n, k >= 0 (n == 0 does nothing; k == 0 gives bias or 0). bias: [n] dtype, or NULL for none.
 * Same dtype, quant_type and blocksize rules as above. */
#define BNB_GEMV_4BIT_MAX_ROWS 16
BNB_API bnb_status bnb_cpu_gemv_4bit(int32_t dtype, int32_t quant_type,
                                     const void* A,         /* [m, k] dtype, rows contiguous */
                                     const uint8_t* packed, /* [ceil(n*k/2)] u8 */
                                     const float* absmax,   /* [ceil(n*k/blocksize)] f32 */
                                     const void* bias,      /* [n] dtype, or NULL */
                                     void* out,             /* [m, n] dtype, out */
                                     int64_t m, int64_t n, int64_t k, int64_t blocksize);
BNB_API bnb_status bnb_cpu_gemv_4bit_nested(int32_t dtype, int32_t quant_type,
                                            const void* A,                        /* [m, k] dtype */
                                            const uint8_t* packed,                /* [ceil(n*k/2)] u8 */
                                            const bnb_4bit_nested_absmax* absmax, /* [1] */
                                            const void* bias,                     /* [n] dtype, or NULL */
                                            void* out,                            /* [m, n] dtype, out */
                                            int64_t m, int64_t n, int64_t k, int64_t blocksize);

/* The same on the GPU: device pointers (the nested struct itself in host memory), and a stream. */
BNB_API bnb_status bnb_cuda_quantize_4bit(int32_t dtype, int32_t quant_type, const void* A, float* absmax,
                                          uint8_t* packed, int64_t blocksize, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_dequantize_4bit(int32_t dtype, int32_t quant_type, const uint8_t* packed,
                                            const float* absmax, void* out, int64_t blocksize, int64_t n,
                                            void* stream);
BNB_API bnb_status bnb_cuda_dequantize_4bit_nested(int32_t dtype, int32_t quant_type, const uint8_t* packed,
                                                   const bnb_4bit_nested_absmax* absmax, void* out,
                                                   int64_t blocksize, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_gemv_4bit(int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                                      const float* absmax, const void* bias, void* out, int64_t m, int64_t n,
                                      int64_t k, int64_t blocksize, void* stream);
BNB_API bnb_status bnb_cuda_gemv_4bit_nested(int32_t dtype, int32_t quant_type, const void* A,
                                             const uint8_t* packed, const bnb_4bit_nested_absmax* absmax,
                                             const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                                             int64_t blocksize, void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_FOURBIT_H */
