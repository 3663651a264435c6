package io.github.bnb4j.nativelib.cublas;

/**
 * One row-major GEMM as cuBLASLt runs it, and the key of its cached plan:
 * {@code out[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * out (+ bias[n])}, with op(A) = A ([m, k],
 * row stride lda) or Aᵀ (A stored [k, m]) and op(B) = B ([k, n]) or Bᵀ (B stored [n, k]).
 *
 * @param type      the element types of A, B, out and bias
 * @param alignment the largest power of two (at most 256) dividing every pointer of the call, in bytes:
 *                  cuBLASLt's heuristic picks kernels whose vector loads need it
 */
public record LtGemm(LtType type, boolean transA, boolean transB, long m, long n, long k, long lda, long ldb,
                     long ldo, boolean bias, int alignment) {
}
