package io.github.bnb4j.core;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.nativelib.BnbC;
import io.github.bnb4j.nativelib.NativeStatus;
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
        Objects.requireNonNull(device, "device");
        if (!device.isCuda()) {
            throw new IllegalArgumentException("device must be a CUDA device, got " + device);
        }
        CudaContext.use(device);
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_event_create(p), "creating an event on " + device);
        return new CudaEvent(p, device);
    }

    /** Records the event on the device's current stream. */
    public void record() {
        record(CudaStream.current(device));
    }

    /** Records the event on {@code stream}. */
    public void record(CudaStream stream) {
        Objects.requireNonNull(stream, "stream");
        checkOpen();
        NativeStatus.check(BnbC.bnb_cuda_event_record(handle, stream.pointer()), "recording an event");
    }

    /**
     * Milliseconds of device time between two recorded events; waits for {@code end}.
     *
     * @throws IllegalStateException if an event is closed
     */
    public static float elapsedMs(CudaEvent start, CudaEvent end) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        start.checkOpen();
        end.checkOpen();
        float[] ms = new float[1];
        NativeStatus.check(BnbC.bnb_cuda_event_elapsed(start.handle, end.handle, ms), "reading event times");
        return ms[0];
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
            NativeStatus.check(BnbC.bnb_cuda_event_destroy(handle), "destroying an event");
        }
    }
}
