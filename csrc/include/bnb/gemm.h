/*
 * bnb4j C API, dense GEMM family: the host kernel behind io.github.bnb4j.core.functional.Gemm.
 * On CUDA devices Gemm calls cuBLASLt through the JavaCPP CUDA presets (docs/DECISIONS.md), so this family
 * has no bnb_cuda_ twin. Conventions: bnb/bnb.h.
 */
#ifndef BNB_GEMM_H
#define BNB_GEMM_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Shape and scaling of one row-major GEMM:
 *   out[M, N] = alpha * op(A)[M, K] · op(B)[K, N] + beta * out + bias[N]
 * op(A) is A stored [M, K] (row stride lda >= K) when trans_a == 0, else Aᵀ of A stored [K, M] (lda >= M);
 * op(B) is B stored [K, N] (ldb >= N) when trans_b == 0, else Bᵀ of B stored [N, K] (ldb >= K): the
 * nn.Linear case out = x · Wᵀ is trans_b = 1. out has row stride ldo >= N. */
typedef struct bnb_gemm_desc {
    int32_t dtype;   /* BNB_F32, BNB_F16 or BNB_BF16: A, B, bias and out; products summed in f32 */
    int32_t trans_a; /* 0 or 1 */
    int32_t trans_b; /* 0 or 1 */
    int64_t M, N, K; /* >= 0 each; K == 0 gives out = beta * out + bias */
    int64_t lda, ldb, ldo;
    float alpha;
    float beta; /* 0 ignores out's previous contents, NaN included */
} bnb_gemm_desc;

/* Host GEMM: blocked over K (fixed summation order, so results do not depend on the thread count) and
 * parallel over rows of out. bias may be NULL. */
BNB_API bnb_status bnb_cpu_gemm(const bnb_gemm_desc* desc,
                                const void* A,    /* see desc: [M, K] or [K, M], dtype */
                                const void* B,    /* see desc: [K, N] or [N, K], dtype */
                                const void* bias, /* [N] dtype, or NULL */
                                void* out);       /* [M, N] (row stride ldo) dtype, in/out */

#ifdef __cplusplus
}
#endif

#endif /* BNB_GEMM_H */
