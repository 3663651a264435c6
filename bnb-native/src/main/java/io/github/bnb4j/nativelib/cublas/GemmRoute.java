package io.github.bnb4j.nativelib.cublas;

/** The library call that runs a dense GEMM plan. */
public enum GemmRoute {
    /** {@code cublasLtMatmul} with one of the algorithms cuBLASLt's heuristic offers (bias epilogue, int8). */
    CUBLASLT,
    /**
     * {@code cublasGemmEx} with {@code CUBLAS_GEMM_DEFAULT}: cuBLAS's own choice, which includes GEMV kernels for
     * one-row products that cuBLASLt's heuristic does not offer (H200, M = 1, bf16: 13 µs against 23 µs).
     * Floating point types without bias only.
     */
    CUBLAS
}
