package io.github.bnb4j.core;

import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.core.internal.NativeRuntime;
import org.bytedeco.javacpp.Pointer;

/** A CUDA event, for timing device work: {@code elapsedMs(start, end)} after recording both. */
public final class CudaEvent implements AutoCloseable {
    private final Pointer handle;
    private final Device device;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaEvent(Pointer handle, Device device) {
        this.handle = handle;
        this.device = device;
    }

    /**
     * Creates an event on {@code device}.
     *
     * @throws IllegalArgumentException if {@code device} is not a CUDA device
     */
    public static CudaEvent create(Device device) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
        CudaContext.use(device);
        return new CudaEvent(NativeRuntime.createEvent(device), device);
    }

    /** Records the event on the device's current stream. */
    public void record() {
        record(CudaStream.current(device));
    }

    /** Records the event on {@code stream}. */
    public void record(CudaStream stream) {
        checkOpen();
        NativeRuntime.recordEvent(handle, stream.pointer());
    }

    /**
     * Milliseconds of device time between two recorded events; waits for {@code end}.
     *
     * @throws IllegalStateException if an event is closed
     */
    public static float elapsedMs(CudaEvent start, CudaEvent end) {
        start.checkOpen();
        end.checkOpen();
        return NativeRuntime.elapsedMs(start.handle, end.handle);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("event on " + device + " is closed");
        }
    }

    /** Destroys the event once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            NativeRuntime.destroyEvent(handle);
        }
    }
}
