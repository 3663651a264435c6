package io.github.bnb4j.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * Shape arithmetic shared by every module: element counts with an overflow check, byte sizes, and the
 * checks a matrix product needs. All methods are pure; they throw {@link IllegalArgumentException} naming
 * the shape, never {@link ArithmeticException}.
 */
public final class Shapes {
    private Shapes() {
    }

    /**
     * Number of elements of {@code shape}: the product of its dimensions, 1 for a scalar ({@code []}), and 0
     * when any dimension is 0, even if the others multiply past {@code Long.MAX_VALUE}
     * ({@code [Long.MAX_VALUE, 2, 0]} holds 0 elements).
     *
     * @throws NullPointerException     if {@code shape} is null
     * @throws IllegalArgumentException if a dimension is negative or the product overflows a {@code long}
     */
    public static long numel(long... shape) {
        Objects.requireNonNull(shape, "shape");
        boolean empty = false;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape dimensions must be >= 0, got " + Arrays.toString(shape));
            }
            empty |= d == 0;
        }
        if (empty) {
            return 0;
        }
        long n = 1;
        for (long d : shape) {
            if (n > Long.MAX_VALUE / d) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                        + " has more elements than a long counts (2^63 - 1)");
            }
            n *= d;
        }
        return n;
    }

    /**
     * Bytes of a tensor of {@code shape} and {@code dtype}.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as {@link #numel}, or if the byte count overflows a {@code long}
     */
    public static long byteSize(long[] shape, DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        long n = numel(shape);
        if (n > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype
                    + " has a byte count that overflows a long");
        }
        return n * dtype.byteSize();
    }

    /**
     * Checks that {@code t} is a matrix (rank 2).
     *
     * @param name the argument's name, for the message
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code t} is not of rank 2
     */
    public static void requireMatrix(Tensor t, String name) {
        Objects.requireNonNull(t, name);
        if (t.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix [rows, cols], got shape "
                    + Arrays.toString(t.shape()));
        }
    }

    /**
     * The sizes of {@code a · b} for {@code a} of logical shape [M, K] and {@code b} of logical shape [K, N]
     * (each possibly stored transposed), both on one device.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if an operand is not a matrix, the inner sizes differ, or the operands
     *                                  are on different devices
     */
    public static MatmulShape requireMatmul(MatrixOperand a, MatrixOperand b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("inner sizes must agree: a is [" + a.rows() + ", " + a.cols()
                    + "] and b is [" + b.rows() + ", " + b.cols() + "] (after transposition)");
        }
        if (!a.tensor().device().equals(b.tensor().device())) {
            throw new IllegalArgumentException("a and b must be on one device, got " + a.tensor().device()
                    + " and " + b.tensor().device());
        }
        return new MatmulShape(a.rows(), a.cols(), b.cols());
    }

    /**
     * Sizes of a matrix product {@code [M, K] · [K, N] -> [M, N]}.
     *
     * @param m rows of the left operand and of the result
     * @param k inner size
     * @param n columns of the right operand and of the result
     */
    public record MatmulShape(long m, long k, long n) {
        /** Checks that {@code out} has shape [M, N]. @throws IllegalArgumentException otherwise */
        public void requireOutput(Tensor out, String name) {
            Objects.requireNonNull(out, name);
            requireMatrix(out, name);
            if (out.size(0) != m || out.size(1) != n) {
                throw new IllegalArgumentException(name + " must be [" + m + ", " + n + "], got "
                        + Arrays.toString(out.shape()));
            }
        }
    }
}
