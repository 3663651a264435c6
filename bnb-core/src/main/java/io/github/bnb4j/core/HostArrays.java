package io.github.bnb4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Conversions between Java arrays and the little-endian element encoding of tensors in heap buffers, for the
 * array factories and readers of {@link Tensor}.
 */
final class HostArrays {
    private HostArrays() {
    }

    /**
     * {@code values} converted to {@code dtype} (F32, F16 or BF16; round to nearest even), positioned at 0.
     *
     * @throws IllegalArgumentException if {@code dtype} is not a float type or the bytes exceed a heap buffer
     */
    static ByteBuffer encodeFloats(float[] values, DType dtype) {
        ByteBuffer buf = allocate(values.length, dtype);
        switch (dtype) {
            case F32 -> buf.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    buf.putShort(HalfFloats.floatToF16(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    buf.putShort(HalfFloats.floatToBf16(v));
                }
            }
            default -> throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
        }
        return buf.rewind();
    }

    /** 16-bit patterns of {@code dtype} (F16 or BF16, checked by the caller). */
    static ByteBuffer encodeShorts(short[] bits, DType dtype) {
        ByteBuffer buf = allocate(bits.length, dtype);
        buf.asShortBuffer().put(bits);
        return buf;
    }

    /** I32 values. */
    static ByteBuffer encodeInts(int[] values) {
        ByteBuffer buf = allocate(values.length, DType.I32);
        buf.asIntBuffer().put(values);
        return buf;
    }

    /** I64 values. */
    static ByteBuffer encodeLongs(long[] values) {
        ByteBuffer buf = allocate(values.length, DType.I64);
        buf.asLongBuffer().put(values);
        return buf;
    }

    /**
     * Fills {@code out} from the {@code dtype} elements of {@code bytes} (16-bit values are widened exactly).
     *
     * @throws IllegalArgumentException if {@code dtype} is not F32, F16 or BF16
     */
    static void decodeFloats(ByteBuffer bytes, DType dtype, float[] out) {
        switch (dtype) {
            case F32 -> bytes.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.f16ToFloat(bytes.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = HalfFloats.bf16ToFloat(bytes.getShort(2 * i));
                }
            }
            default -> throw new IllegalArgumentException("dtype must be F32, F16 or BF16, got " + dtype);
        }
    }

    /** @throws IllegalArgumentException unless {@code shape} holds exactly {@code length} elements */
    static void checkLength(int length, long[] shape) {
        long n = Shapes.numel(shape);
        if (n != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " elements, but " + length + " values were given");
        }
    }

    /** A little-endian heap buffer for {@code length} elements. @throws IllegalArgumentException over 2 GiB */
    private static ByteBuffer allocate(int length, DType dtype) {
        long bytes = (long) length * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(length + " values of " + dtype + " are " + bytes
                    + " bytes, more than one heap buffer holds; create the tensor with empty() and fill it in"
                    + " ranges with copyFromHost");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
