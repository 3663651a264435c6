package io.github.bnb4j.core;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Views of a {@link Tensor}'s memory without a copy: tensors sharing it ({@link Tensor#reshape},
 * {@link Tensor#narrow}, byte ranges) and buffers over a CPU tensor's bytes ({@link Tensor#asByteBuffer}).
 */
final class TensorViews {
    /** Ends the use that a buffer of {@link Tensor#asByteBuffer} holds once the buffer is unreachable. */
    private static final Cleaner BUFFER_USES = Cleaner.create();

    private TensorViews() {
    }

    /** See {@link Tensor#reshape}. */
    static Tensor reshape(Tensor tensor, long[] newShape) {
        long[] s = TensorChecks.checkShape(newShape);
        long n = Shapes.numel(s);
        if (n != tensor.numel()) {
            throw new IllegalArgumentException("newShape " + Arrays.toString(s) + " holds " + n
                    + " elements, but the tensor " + Arrays.toString(tensor.shape()) + " holds " + tensor.numel());
        }
        tensor.checkOpen();
        return new Tensor(s, tensor.dtype(), tensor.device(), NativeMemory.view(tensor.memory(), 0, tensor.byteSize()));
    }

    /** See {@link Tensor#narrow}. */
    static Tensor narrow(Tensor tensor, long start, long length) {
        if (tensor.rank() == 0) {
            throw new IllegalArgumentException("narrow needs a tensor of rank >= 1, got a scalar");
        }
        long rows = tensor.size(0);
        if (start < 0 || length < 0 || start > rows - length) {
            throw new IllegalArgumentException("rows [start, start + length) must lie within [0, " + rows
                    + "], got start " + start + ", length " + length);
        }
        tensor.checkOpen();
        long[] s = tensor.shape();
        s[0] = length;
        long rowBytes = rows == 0 ? 0 : tensor.byteSize() / rows;
        return new Tensor(s, tensor.dtype(), tensor.device(),
                NativeMemory.view(tensor.memory(), start * rowBytes, length * rowBytes));
    }

    /** A flat U8 view of a byte range, for copies in ranges. */
    static Tensor byteRange(Tensor tensor, long byteOffset, long length) {
        return new Tensor(new long[] {length}, DType.U8, tensor.device(),
                NativeMemory.view(tensor.memory(), byteOffset, length));
    }

    /** See {@link Tensor#asByteBuffer()}. */
    static ByteBuffer byteBuffer(Tensor tensor) {
        long bytes = tensor.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + tensor.description() + " is " + bytes
                    + " bytes; a ByteBuffer holds at most " + Integer.MAX_VALUE
                    + "; use asByteBuffer(byteOffset, length) for a range, or copyToHost");
        }
        return byteBuffer(tensor, 0, (int) bytes);
    }

    /** See {@link Tensor#asByteBuffer(long, int)}. */
    static ByteBuffer byteBuffer(Tensor tensor, long byteOffset, int length) {
        TensorChecks.checkByteRange(tensor, byteOffset, length);
        if (!tensor.device().isCpu()) {
            throw new IllegalStateException("asByteBuffer needs a CPU tensor, this one is on " + tensor.device()
                    + "; copy it with to(Device.cpu()) or copyToHost first");
        }
        if (length == 0) {
            tensor.checkOpen();
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        TensorUse use = tensor.acquire();
        ByteBuffer view = TensorCopies.hostView(tensor, byteOffset, length);
        BUFFER_USES.register(view, use::close); // the use ends when the buffer becomes unreachable
        return view;
    }
}
