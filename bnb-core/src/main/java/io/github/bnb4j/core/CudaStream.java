package io.github.bnb4j.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.core.internal.NativeRuntime;
import org.bytedeco.javacpp.Pointer;

/**
 * A CUDA stream on which bnb4j queues its work. Every op runs on the calling thread's
 * {@linkplain #current(Device) current stream} of the tensor's device: the legacy default stream unless
 * a stream was made current with {@link #use(CudaStream)}. Streams of another framework can be wrapped
 * ({@link #wrap(long, Device)}) so that kernels run in order with that framework's work.
 */
public final class CudaStream implements AutoCloseable {
    private static final ThreadLocal<Map<Device, CudaStream>> CURRENT = ThreadLocal.withInitial(HashMap::new);

    private final Pointer handle;
    private final Device device;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaStream(Pointer handle, Device device, boolean owned) {
        this.handle = handle;
        this.device = device;
        this.owned = owned;
    }

    /**
     * Creates a new non-blocking stream on {@code device}.
     *
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     * @throws io.github.bnb4j.nativelib.BnbException if CUDA is unavailable or creation fails
     */
    public static CudaStream create(Device device) {
        Objects.requireNonNull(device, "device");
        requireCuda(device);
        CudaContext.use(device);
        return new CudaStream(NativeRuntime.createStream(device), device, true);
    }

    /**
     * Views a {@code cudaStream_t} that another framework owns; closing the view does not destroy it.
     *
     * @param handle the stream's address (0 is the legacy default stream)
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     */
    public static CudaStream wrap(long handle, Device device) {
        requireCuda(device);
        return new CudaStream(Pointers.at(handle), device, false);
    }

    /**
     * Views a stream held by a JavaCPP pointer (for example {@code org.bytedeco.cuda.cudart.CUstream_st}).
     *
     * @throws NullPointerException     if an argument is null (wrap address 0 for the default stream)
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     */
    public static CudaStream wrap(Pointer stream, Device device) {
        Objects.requireNonNull(stream, "stream");
        return wrap(stream.address(), device);
    }

    /** The legacy default stream of {@code device}. */
    public static CudaStream defaultStream(Device device) {
        Objects.requireNonNull(device, "device");
        return wrap(0L, device);
    }

    /**
     * The stream ops on {@code device} use on this thread; also makes {@code device} the thread's current
     * CUDA device.
     *
     * @throws io.github.bnb4j.nativelib.BnbException if CUDA is unavailable
     */
    public static CudaStream current(Device device) {
        Objects.requireNonNull(device, "device");
        CudaContext.use(device);
        CudaStream s = CURRENT.get().get(device);
        return s != null ? s : defaultStream(device);
    }

    /**
     * Makes {@code stream} current for its device on this thread until the returned scope closes.
     *
     * @throws IllegalStateException if the stream is closed
     */
    public static Scope use(CudaStream stream) {
        Objects.requireNonNull(stream, "stream");
        stream.checkOpen();
        CudaStream previous = CURRENT.get().put(stream.device, stream);
        return () -> {
            if (previous == null) {
                CURRENT.get().remove(stream.device);
            } else {
                CURRENT.get().put(stream.device, previous);
            }
        };
    }

    /** Restores the previous current stream. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** Blocks until all work queued on this stream has finished. */
    public void synchronize() {
        checkOpen();
        CudaContext.use(device);
        NativeRuntime.synchronize(pointer(), device);
    }

    /** The device. */
    public Device device() {
        return device;
    }

    /** The {@code cudaStream_t} address (0 for the default stream). */
    public long address() {
        return handle.address();
    }

    /** The stream as a JavaCPP pointer, for the native binding. @throws IllegalStateException after close */
    public Pointer pointer() {
        checkOpen();
        return handle;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("stream on " + device + " is closed");
        }
    }

    /**
     * Destroys an owned stream (once), after the work queued on it has finished, so that tensors allocated on it
     * can later be freed in the legacy default stream's order; a wrapped stream is only forgotten.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            synchronized (this) { // waits for a free being queued on the stream (freeInOrder)
                try {
                    NativeRuntime.synchronize(handle, device);
                } finally {
                    NativeRuntime.destroyStream(handle, device);
                }
            }
        }
    }

    /**
     * Frees pooled device memory allocated on this stream in its order; once the stream is closed (its work then
     * finished), in the legacy default stream's order.
     */
    synchronized void freeInOrder(Pointer memory) {
        NativeRuntime.freeDeviceAsync(device, memory, closed.get() ? new Pointer() : handle);
    }

    /**
     * Whether device tensors allocated on this stream can come from the stream-ordered pool: true for the legacy
     * default stream and streams bnb4j created (it knows when they end); a wrapped stream of another framework
     * may be destroyed behind bnb4j's back, so its tensors use plain, synchronous allocations.
     */
    boolean ordersAllocations() {
        return owned || handle.address() == 0;
    }

    boolean isClosed() {
        return closed.get();
    }

    private static void requireCuda(Device device) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
    }
}
