package io.github.bnb4j.core;

import java.util.concurrent.atomic.AtomicLong;

import io.github.bnb4j.core.internal.NativeRuntime;
import org.bytedeco.javacpp.Pointer;

/**
 * One native allocation, or a byte range of one (a view), freed exactly once and never while a native call
 * uses it.
 *
 * <p>Every use (a native call, a copy, a host buffer) is bracketed by {@link #tryBeginUse()} and
 * {@link #endUse()}. {@link #close()} marks the memory closed at once, so no new use can begin, and frees it
 * when the last use ends: whichever of {@code close} or the last {@code endUse} sees "closed and no use"
 * frees it. Both are lock-free and safe from any thread.
 *
 * <p>A view has its own closed flag (closing it frees nothing) and counts its uses on its owner, so the
 * owner's memory outlives every call made through the view.
 */
final class NativeMemory {
    /** The closed flag of {@link #state}; the bits below it count the uses in progress. */
    private static final long CLOSED = 1L << 62;

    private final Pointer pointer;
    private final long bytes;
    private final MemoryKind kind;
    private final Device device;
    /** {@code this} for an allocation, the allocation for a view. */
    private final NativeMemory owner;
    /** The stream a pooled device allocation was made on, whose order its free follows; null otherwise. */
    private final CudaStream stream;
    private final AtomicLong state = new AtomicLong();

    private NativeMemory(Pointer pointer, long bytes, MemoryKind kind, Device device, CudaStream stream) {
        this.pointer = pointer;
        this.bytes = bytes;
        this.kind = kind;
        this.device = device;
        this.owner = this;
        this.stream = stream;
    }

    private NativeMemory(NativeMemory owner, long byteOffset, long bytes) {
        this.pointer = Pointers.at(owner.address() + byteOffset);
        this.bytes = bytes;
        this.kind = owner.kind;
        this.device = owner.device;
        this.owner = owner;
        this.stream = null;
    }

    /**
     * Allocates {@code bytes} of {@code kind} memory; zero bytes allocate nothing. Device memory comes from the
     * device's stream-ordered pool on the thread's current stream (no synchronisation to allocate or free; see
     * {@link CudaStream#ordersAllocations()} for the exception).
     */
    static NativeMemory allocate(long bytes, MemoryKind kind, Device device) {
        if (bytes == 0) {
            return new NativeMemory(new Pointer(), 0, kind, device, null);
        }
        Pointer p = new Pointer();
        CudaStream ordering = null;
        switch (kind) {
            case HOST -> {
                p = Pointer.malloc(bytes);
                if (p == null || p.isNull()) { // JavaCPP returns null, not a null pointer, when malloc fails
                    throw new OutOfMemoryError("malloc of " + bytes + " host bytes failed");
                }
            }
            case DEVICE -> {
                CudaStream current = CudaStream.current(device);
                if (current.ordersAllocations()) {
                    p = NativeRuntime.mallocDeviceAsync(device, bytes, current.pointer());
                    ordering = current;
                } else {
                    p = NativeRuntime.mallocDevice(device, bytes);
                }
            }
            case PINNED -> p = NativeRuntime.mallocPinned(bytes);
            case MANAGED -> p = NativeRuntime.mallocManaged(bytes);
            case FOREIGN -> throw new IllegalArgumentException("kind must be an owning kind, got FOREIGN");
        }
        return new NativeMemory(p, bytes, kind, device, ordering);
    }

    /**
     * A view of {@code bytes} bytes from {@code byteOffset} of {@code owner}'s range (the caller checked the
     * range). Its uses keep the owner's memory alive.
     */
    static NativeMemory view(NativeMemory owner, long byteOffset, long bytes) {
        return new NativeMemory(owner.owner, owner.address() - owner.owner.address() + byteOffset, bytes);
    }

    /** A view of memory someone else owns. */
    static NativeMemory foreign(long address, long bytes, Device device) {
        return new NativeMemory(Pointers.at(address), bytes, MemoryKind.FOREIGN, device, null);
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

    /** True for a view of another allocation. */
    boolean isView() {
        return owner != this;
    }

    /** True once this memory, or for a view its owner, was closed. */
    boolean isClosed() {
        return (state.get() & CLOSED) != 0 || (owner != this && owner.isClosed());
    }

    /**
     * Begins a use, unless the memory is closed.
     *
     * @return false, beginning nothing, if this memory (or a view's owner) is closed
     */
    boolean tryBeginUse() {
        if (owner != this) {
            return (state.get() & CLOSED) == 0 && owner.tryBeginUse();
        }
        for (;;) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /** Ends a use that {@link #tryBeginUse()} began; the last use of closed memory frees it. */
    void endUse() {
        if (owner != this) {
            owner.endUse();
            return;
        }
        if (state.decrementAndGet() == CLOSED) {
            free();
        }
    }

    /** Marks the memory closed; frees it now if no use is in progress, else when the last use ends. */
    void close() {
        for (;;) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0 && owner == this) {
                    free();
                }
                return;
            }
        }
    }

    /** Called exactly once per allocation: by the transition to "closed and unused". */
    private void free() {
        if (bytes == 0) {
            return;
        }
        switch (kind) {
            case HOST -> Pointer.free(pointer);
            case DEVICE -> freeDevice();
            case PINNED -> NativeRuntime.freePinned(pointer);
            case MANAGED -> NativeRuntime.freeManaged(pointer);
            case FOREIGN -> {
                // owned elsewhere
            }
        }
    }

    private void freeDevice() {
        if (stream == null) {
            NativeRuntime.freeDevice(device, pointer);
        } else {
            stream.freeInOrder(pointer);
        }
    }
}
