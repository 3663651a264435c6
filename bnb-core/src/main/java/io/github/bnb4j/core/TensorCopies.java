package io.github.bnb4j.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.github.bnb4j.core.internal.NativeRuntime;
import io.github.bnb4j.core.internal.NativeRuntime.CopyDirection;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory operations behind {@link Tensor}'s copies: tensor to tensor, byte ranges to and from host buffers
 * (staging heap buffers through a direct one for a GPU), zeroing and managed-memory prefetch. The callers check
 * their arguments and, unless a method says otherwise, hold a use of every tensor involved.
 */
final class TensorCopies {
    /** Heap buffers go to and from a GPU through a direct buffer of at most this size. */
    private static final int STAGING_BYTES = 8 << 20;

    /** Which way {@link #transfer} copies. */
    enum Direction { TO_HOST, FROM_HOST }

    private TensorCopies() {
    }

    /** Copies all bytes of {@code src} into {@code dst}, which has the same byte size. */
    static void copyBytes(Tensor dst, Tensor src) {
        long bytes = dst.byteSize();
        if (bytes == 0) {
            return;
        }
        Device device = dst.device();
        Device srcDevice = src.device();
        if (device.isCpu() && srcDevice.isCpu()) {
            Pointer.memcpy(dst.memory().pointer(), src.memory().pointer(), bytes);
            return;
        }
        Device gpu = device.isCuda() ? device : srcDevice;
        CopyDirection kind = srcDevice.isCpu() ? CopyDirection.HOST_TO_DEVICE
                : device.isCpu() ? CopyDirection.DEVICE_TO_HOST : CopyDirection.DEVICE_TO_DEVICE;
        CudaContext.use(gpu);
        CudaStream stream = CudaStream.current(gpu);
        NativeRuntime.copy(dst.memory().pointer(), src.memory().pointer(), bytes, kind, stream,
                "copying " + srcDevice + " -> " + device);
        if (kind != CopyDirection.DEVICE_TO_DEVICE) {
            stream.synchronize(); // the host side may be read or freed as soon as we return
        }
    }

    /**
     * Copies {@code host.remaining()} bytes between {@code host} (advancing its position) and {@code tensor}
     * from byte {@code byteOffset}. Checks the range and holds a use of the tensor itself.
     */
    static void transfer(Tensor tensor, long byteOffset, ByteBuffer host, Direction direction) {
        int length = host.remaining();
        TensorChecks.checkByteRange(tensor, byteOffset, length);
        try (TensorUse use = tensor.acquire()) {
            if (length == 0) {
                return;
            }
            if (tensor.device().isCpu()) {
                ByteBuffer mine = hostView(tensor, byteOffset, length);
                if (direction == Direction.TO_HOST) {
                    host.put(mine);
                } else {
                    mine.put(host);
                }
                return;
            }
            // a device copy needs a host address: a direct buffer has one, a heap buffer is staged through one
            ByteBuffer staging = host.isDirect() ? null : ByteBuffer.allocateDirect(Math.min(length, STAGING_BYTES));
            int step = staging == null ? length : staging.capacity();
            for (int done = 0; done < length; done += step) {
                int n = Math.min(length - done, step);
                ByteBuffer part = host.slice().limit(n);
                ByteBuffer direct = staging == null ? part : staging.clear().limit(n);
                if (direction == Direction.FROM_HOST && staging != null) {
                    direct.put(part.duplicate()).flip();
                }
                try (Tensor hostSide = Tensor.wrap(new BytePointer(direct), DType.U8, Device.cpu(), n);
                        Tensor deviceSide = TensorViews.byteRange(tensor, byteOffset + done, n)) {
                    if (direction == Direction.TO_HOST) {
                        copyBytes(hostSide, deviceSide);
                    } else {
                        copyBytes(deviceSide, hostSide);
                    }
                }
                if (direction == Direction.TO_HOST && staging != null) {
                    part.put(direct);
                }
                host.position(host.position() + n);
            }
        }
    }

    /**
     * A little-endian heap copy of all bytes, from any device.
     *
     * @throws IllegalStateException if the tensor is closed or larger than a {@code ByteBuffer} holds
     */
    static ByteBuffer hostCopy(Tensor tensor) {
        long bytes = tensor.byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor " + tensor.description() + " is " + bytes
                    + " bytes, more than a ByteBuffer holds; read it in ranges with copyToHost");
        }
        ByteBuffer copy = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        tensor.copyToHost(0, copy);
        return copy.flip();
    }

    /** A buffer over a CPU range; the caller holds a use for as long as it reads the buffer. */
    static ByteBuffer hostView(Tensor tensor, long byteOffset, int length) {
        return new BytePointer(Pointers.at(tensor.memory().address() + byteOffset)).capacity(length).asByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sets every byte of {@code tensor} to zero. */
    static void zero(Tensor tensor) {
        long bytes = tensor.byteSize();
        if (bytes == 0) {
            return;
        }
        Device device = tensor.device();
        if (device.isCpu()) {
            Pointer.memset(tensor.memory().pointer(), 0, bytes);
        } else {
            CudaContext.use(device);
            NativeRuntime.zero(tensor.memory().pointer(), bytes, device, CudaStream.current(device));
        }
    }

    /** Queues the migration of a managed {@code tensor} to {@code target}; see {@link Tensor#prefetch}. */
    static boolean prefetchManaged(Tensor tensor, Device target) {
        Device gpu = target.isCuda() ? target : tensor.device();
        return NativeRuntime.prefetch(tensor.memory().pointer(), tensor.byteSize(), target, CudaStream.current(gpu));
    }
}
