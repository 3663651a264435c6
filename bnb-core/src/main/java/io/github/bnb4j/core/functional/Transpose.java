package io.github.bnb4j.core.functional;

/** How a GEMM operand is read: as stored, or transposed ({@link Gemm}). */
public enum Transpose {
    /** op(X) = X. */
    NONE,
    /** op(X) = Xᵀ: a matrix stored [r, c] is read as [c, r]. */
    TRANSPOSE;

    boolean transposed() {
        return this == TRANSPOSE;
    }
}
