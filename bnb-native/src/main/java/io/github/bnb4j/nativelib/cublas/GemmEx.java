package io.github.bnb4j.nativelib.cublas;

import static org.bytedeco.cuda.global.cublas.*;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

/**
 * One thread's cuBLAS handle on one device, for {@link GemmRoute#CUBLAS}: {@code cublasGemmEx_64} bound to the
 * caller's stream. Not thread-safe: see {@link CublasLt}. cuBLAS keeps its own workspace per handle and stream.
 */
final class GemmEx implements AutoCloseable {
    private final cublasContext handle = new cublasContext();
    private long boundStream = -1;

    GemmEx() {
        CublasLt.check(cublasCreate_v2(handle), "cublasCreate");
    }

    /**
     * Row-major {@code out = alpha·op(A)·op(B) + beta·out} as the column-major {@code outᵀ = op(B)ᵀ·op(A)ᵀ}, the
     * same arrangement as {@link LtPlan}; alpha and beta are f32 in host memory.
     */
    void run(CUstream_st stream, LtGemm g, Pointer alpha, Pointer beta, long a, long b, long out) {
        if (stream.address() != boundStream) {
            CublasLt.check(cublasSetStream_v2(handle, stream), "cublasSetStream");
            boundStream = stream.address();
        }
        LtType t = g.type();
        CublasLt.check(cublasGemmEx_64(handle, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, g.n(), g.m(), g.k(), alpha, LtContext.at(b), t.operand,
                g.ldb(), LtContext.at(a), t.operand, g.lda(), beta, LtContext.at(out), t.output, g.ldo(), t.compute,
                CUBLAS_GEMM_DEFAULT), "cublasGemmEx " + g);
    }

    @Override
    public void close() {
        cublasDestroy_v2(handle);
    }
}
