package io.github.bnb4j.nativelib.cublas;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32I;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32I;
import static org.bytedeco.cuda.global.cudart.CUDA_R_8I;

/**
 * The element types of one cuBLASLt GEMM: operands, output (and bias), compute and scale types.
 * Floating point sums in f32; int8 sums exactly in int32 (the LLM.int8() product).
 */
public enum LtType {
    /** F32 operands and output, f32 compute (no TF32). */
    F32(CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, CUDA_R_32F, 4),
    /** F16 operands and output, f32 compute. */
    F16(CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, CUDA_R_32F, 2),
    /** BF16 operands and output, f32 compute. */
    BF16(CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, CUDA_R_32F, 2),
    /** I8 operands, I32 output, exact int32 compute; cuBLASLt needs op(B)ᵀ·op(A) in its "TN" form. */
    I8_I32(CUDA_R_8I, CUDA_R_32I, CUBLAS_COMPUTE_32I, CUDA_R_32I, 1);

    final int operand;
    final int output;
    final int compute;
    final int scale;
    final int operandBytes;

    LtType(int operand, int output, int compute, int scale, int operandBytes) {
        this.operand = operand;
        this.output = output;
        this.compute = compute;
        this.scale = scale;
        this.operandBytes = operandBytes;
    }
}
