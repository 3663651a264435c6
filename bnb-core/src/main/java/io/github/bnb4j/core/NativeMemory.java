package io.github.bnb4j.core;

import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.nativelib.BnbC;
import io.github.bnb4j.nativelib.NativeStatus;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import org.bytedeco.javacpp.Pointer;

/** One native allocation, released exactly once. */
final class NativeMemory {
    private final Pointer pointer;
    private final long bytes;
    private final MemoryKind kind;
    private final Device device;
    private final AtomicBoolean released = new AtomicBoolean();

    private NativeMemory(Pointer pointer, long bytes, MemoryKind kind, Device device) {
        this.pointer = pointer;
        this.bytes = bytes;
        this.kind = kind;
        this.device = device;
    }

    /** Allocates {@code bytes} of {@code kind} memory; zero bytes allocate nothing. */
    static NativeMemory allocate(long bytes, MemoryKind kind, Device device) {
        if (bytes == 0) {
            return new NativeMemory(new Pointer(), 0, kind, device);
        }
        Pointer p = new Pointer();
        switch (kind) {
            case HOST -> {
                p = Pointer.malloc(bytes);
                if (p.isNull()) {
                    throw new OutOfMemoryError("malloc of " + bytes + " host bytes failed");
                }
            }
            case DEVICE -> {
                CudaContext.use(device);
                int status = BnbC.bnb_cuda_malloc(device.index(), bytes, p);
                if (status == BnbC.BNB_ERR_OUT_OF_MEMORY) {
                    throw new OutOfDeviceMemoryException("allocating on " + device, NativeStatus.lastError(), bytes,
                            freeBytes(device));
                }
                NativeStatus.check(status, "allocating " + bytes + " bytes on " + device);
            }
            case PINNED -> NativeStatus.check(BnbC.bnb_cuda_malloc_host(bytes, p), "allocating pinned memory");
            case MANAGED -> NativeStatus.check(BnbC.bnb_cuda_malloc_managed(bytes, p), "allocating managed memory");
            case FOREIGN -> throw new IllegalArgumentException("kind must be an owning kind, got FOREIGN");
        }
        return new NativeMemory(p, bytes, kind, device);
    }

    /** A view of memory someone else owns. */
    static NativeMemory foreign(long address, long bytes, Device device) {
        return new NativeMemory(Pointers.at(address), bytes, MemoryKind.FOREIGN, device);
    }

    private static long freeBytes(Device device) {
        long[] free = new long[1];
        long[] total = new long[1];
        return BnbC.bnb_cuda_mem_get_info(device.index(), free, total) == BnbC.BNB_OK ? free[0] : -1;
    }

    Pointer pointer() {
        return pointer;
    }

    long address() {
        return pointer.address();
    }

    long bytes() {
        return bytes;
    }

    MemoryKind kind() {
        return kind;
    }

    boolean isReleased() {
        return released.get();
    }

    /** Frees the memory the first time; later calls do nothing. */
    void release() {
        if (!released.compareAndSet(false, true) || bytes == 0) {
            return;
        }
        switch (kind) {
            case HOST -> Pointer.free(pointer);
            case DEVICE -> NativeStatus.check(BnbC.bnb_cuda_free(device.index(), pointer), "freeing device memory");
            case PINNED -> NativeStatus.check(BnbC.bnb_cuda_free_host(pointer), "freeing pinned memory");
            case MANAGED -> NativeStatus.check(BnbC.bnb_cuda_free_managed(pointer), "freeing managed memory");
            case FOREIGN -> {
                // owned elsewhere
            }
        }
    }
}
