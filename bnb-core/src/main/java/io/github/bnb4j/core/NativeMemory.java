package io.github.bnb4j.core;

import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.core.internal.NativeRuntime;
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
                p = NativeRuntime.mallocDevice(device, bytes);
            }
            case PINNED -> p = NativeRuntime.mallocPinned(bytes);
            case MANAGED -> p = NativeRuntime.mallocManaged(bytes);
            case FOREIGN -> throw new IllegalArgumentException("kind must be an owning kind, got FOREIGN");
        }
        return new NativeMemory(p, bytes, kind, device);
    }

    /** A view of memory someone else owns. */
    static NativeMemory foreign(long address, long bytes, Device device) {
        return new NativeMemory(Pointers.at(address), bytes, MemoryKind.FOREIGN, device);
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
            case DEVICE -> NativeRuntime.freeDevice(device, pointer);
            case PINNED -> NativeRuntime.freePinned(pointer);
            case MANAGED -> NativeRuntime.freeManaged(pointer);
            case FOREIGN -> {
                // owned elsewhere
            }
        }
    }
}
