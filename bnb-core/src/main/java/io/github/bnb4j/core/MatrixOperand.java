package io.github.bnb4j.core;

import java.util.Objects;

/**
 * A matrix as a GEMM sees it: a rank-2 row-major tensor and whether the product uses it as stored or
 * transposed (cuBLAS' {@code CUBLAS_OP_N} / {@code CUBLAS_OP_T}). Transposing is a flag, not a copy.
 *
 * @param tensor    the stored matrix, shape [rows, cols] as stored
 * @param transpose whether the product reads it transposed
 */
public record MatrixOperand(Tensor tensor, Transpose transpose) {
    /** How a GEMM reads a stored matrix. */
    public enum Transpose {
        /** As stored. */
        NONE,
        /** Transposed: logical element (i, j) is stored element (j, i). */
        TRANSPOSED
    }

    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code tensor} is not of rank 2
     */
    public MatrixOperand {
        Objects.requireNonNull(transpose, "transpose");
        Shapes.requireMatrix(tensor, "tensor");
    }

    /** {@code tensor} as stored. @throws IllegalArgumentException if it is not a matrix */
    public static MatrixOperand of(Tensor tensor) {
        return new MatrixOperand(tensor, Transpose.NONE);
    }

    /** {@code tensor} transposed. @throws IllegalArgumentException if it is not a matrix */
    public static MatrixOperand transposed(Tensor tensor) {
        return new MatrixOperand(tensor, Transpose.TRANSPOSED);
    }

    /** This operand transposed once more. */
    public MatrixOperand t() {
        return new MatrixOperand(tensor, transpose == Transpose.NONE ? Transpose.TRANSPOSED : Transpose.NONE);
    }

    /** Rows of the logical (possibly transposed) matrix. */
    public long rows() {
        return tensor.size(transpose == Transpose.NONE ? 0 : 1);
    }

    /** Columns of the logical (possibly transposed) matrix. */
    public long cols() {
        return tensor.size(transpose == Transpose.NONE ? 1 : 0);
    }

    /** Leading dimension of the stored row-major matrix: its column count. */
    public long leadingDimension() {
        return tensor.size(1);
    }
}
