package io.github.bnb4j.core.safetensors;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Shapes;

/**
 * One entry of a safetensors header: name, dtype, shape and the byte range {@code [begin, end)} relative to
 * the start of the data region (the byte after the header).
 *
 * <p>The shape array is copied in and out, so an instance is immutable. A scalar has shape {@code []} and
 * one element.
 *
 * @param name  tensor name as it appears in the header
 * @param dtype element type
 * @param shape dimensions, each {@code >= 0}
 * @param begin first byte, relative to the data region
 * @param end   one past the last byte, relative to the data region
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * @throws NullPointerException     if name, dtype or shape is null
     * @throws IllegalArgumentException if a dimension is negative, or {@code begin < 0}, or {@code begin > end}
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Objects.requireNonNull(shape, "shape").clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape must have dimensions >= 0, got "
                        + Arrays.toString(shape) + " for tensor '" + name + "'");
            }
        }
        if (begin < 0 || begin > end) {
            throw new IllegalArgumentException("byte range must satisfy 0 <= begin <= end, got [" + begin + ", "
                    + end + "] for tensor '" + name + "'");
        }
    }

    /** A copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions (0 for a scalar). */
    public int rank() {
        return shape.length;
    }

    /**
     * Number of elements: the product of the dimensions, 1 for a scalar, 0 if a dimension is 0.
     *
     * @throws IllegalArgumentException if the product overflows a long (not for an entry of a file the
     *                                  reader accepted)
     */
    public long numel() {
        return Shapes.numel(shape);
    }

    /** Length of the byte range, {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo other && name.equals(other.name) && dtype == other.dtype
                && Arrays.equals(shape, other.shape) && begin == other.begin && end == other.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return "TensorInfo[name=" + name + ", dtype=" + dtype + ", shape=" + Arrays.toString(shape)
                + ", data_offsets=[" + begin + ", " + end + "]]";
    }
}
