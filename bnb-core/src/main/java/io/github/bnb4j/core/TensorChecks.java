package io.github.bnb4j.core;

/** Argument checks of {@link Tensor} shared by its helpers, each with the message the public API documents. */
final class TensorChecks {
    /** The VM's soft limit on array lengths, a few words below {@code Integer.MAX_VALUE}. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private TensorChecks() {
    }

    /** A copy of a valid shape. @throws IllegalArgumentException as {@link Shapes#numel} */
    static long[] checkShape(long[] shape) {
        Shapes.numel(shape);
        return shape.clone();
    }

    /** @throws IllegalArgumentException unless {@code [byteOffset, byteOffset + length)} lies in the tensor */
    static void checkByteRange(Tensor tensor, long byteOffset, long length) {
        long bytes = tensor.byteSize();
        if (byteOffset < 0 || length < 0 || byteOffset > bytes - length) {
            throw new IllegalArgumentException("byte range [" + byteOffset + ", " + byteOffset + " + " + length
                    + ") must lie within the tensor's " + bytes + " bytes");
        }
    }

    /**
     * The element count as an array length for {@code op}.
     *
     * @throws IllegalStateException if the tensor is closed or no Java array holds its elements
     */
    static int arrayLength(Tensor tensor, String op) {
        tensor.checkOpen();
        long numel = tensor.numel();
        if (numel > MAX_ARRAY_LENGTH) {
            throw new IllegalStateException(op + ": tensor " + tensor.description() + " has " + numel
                    + " elements, more than a Java array holds (" + MAX_ARRAY_LENGTH + "); read it in ranges"
                    + " with copyToHost");
        }
        return (int) numel;
    }

    /** @throws IllegalArgumentException if {@code device} is not a CUDA device */
    static void requireCudaDevice(Device device, String op) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException(op + ": device must be a CUDA device, got " + device);
        }
    }
}
