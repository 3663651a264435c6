package io.github.bnb4j.nativelib.cublas;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_8I;

import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixTransformDescOpaque_t;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Copies an int8 matrix between row strides on the GPU with {@code cublasLtMatrixTransform} ({@code 1 · A}, f32
 * scale: exact for int8): the zero-padded operands of an int8 GEMM whose K cuBLASLt refuses. Not thread-safe:
 * one per {@link LtContext}.
 */
final class LtInt8Copy implements AutoCloseable {
    private final cublasLtMatrixTransformDescOpaque_t desc;
    private final FloatPointer one = new FloatPointer(1).put(1f);
    private final FloatPointer zero = new FloatPointer(1).put(0f);

    LtInt8Copy() {
        PointerPointer<Pointer> made = new PointerPointer<>(1);
        CublasLt.check(cublasLtMatrixTransformDescCreate(made, CUDA_R_32F), "cublasLtMatrixTransformDescCreate");
        desc = new cublasLtMatrixTransformDescOpaque_t(made.get(0));
    }

    /**
     * Row-major {@code dst[r, c] = src[r, c]} for r < rows, c < cols; the other bytes of dst are left as they
     * are. Row-major [rows, cols] with row stride s is column-major [cols, rows] with leading dimension s.
     */
    void copyRows(cublasLtContext handle, Pointer stream, long rows, long cols, long src, long srcStride, long dst,
                  long dstStride) {
        cublasLtMatrixLayoutOpaque_t from = layout(cols, rows, srcStride);
        try {
            cublasLtMatrixLayoutOpaque_t to = layout(cols, rows, dstStride);
            try {
                CublasLt.check(cublasLtMatrixTransform(handle, desc, one, LtContext.at(src), from, zero, null, null,
                        LtContext.at(dst), to, new CUstream_st(stream)), "cublasLtMatrixTransform (int8 copy)");
            } finally {
                cublasLtMatrixLayoutDestroy(to);
            }
        } finally {
            cublasLtMatrixLayoutDestroy(from);
        }
    }

    private static cublasLtMatrixLayoutOpaque_t layout(long rows, long cols, long ld) {
        PointerPointer<Pointer> made = new PointerPointer<>(1);
        CublasLt.check(cublasLtMatrixLayoutCreate(made, CUDA_R_8I, rows, cols, ld), "cublasLtMatrixLayoutCreate");
        return new cublasLtMatrixLayoutOpaque_t(made.get(0));
    }

    @Override
    public void close() {
        cublasLtMatrixTransformDescDestroy(desc);
        one.close();
        zero.close();
    }
}
