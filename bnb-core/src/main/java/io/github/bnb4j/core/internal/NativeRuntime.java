package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.DeviceMemory;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.Pointer;

/**
 * The runtime family of the C API ({@code bnb/runtime.h}): CUDA memory, copies, streams, events and the backend's
 * identity. Callers have made the device current ({@code CudaContext}) where the C API needs it; every failure
 * becomes a {@link io.github.bnb4j.nativelib.BnbException}, an out-of-memory one an
 * {@link OutOfDeviceMemoryException}. Internal: see the package documentation.
 */
public final class NativeRuntime {
    /** The element type codes of the C API ({@code BNB_F32}, ... in {@code bnb/types.h}). */
    public static final int DTYPE_F32 = BnbC.BNB_F32;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_F16 = BnbC.BNB_F16;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_BF16 = BnbC.BNB_BF16;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_U8 = BnbC.BNB_U8;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_I8 = BnbC.BNB_I8;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_I32 = BnbC.BNB_I32;
    /** See {@link #DTYPE_F32}. */
    public static final int DTYPE_I64 = BnbC.BNB_I64;

    /** The direction of a {@link #copy}. */
    public enum CopyDirection {
        HOST_TO_DEVICE(BnbC.BNB_COPY_HOST_TO_DEVICE),
        DEVICE_TO_HOST(BnbC.BNB_COPY_DEVICE_TO_HOST),
        DEVICE_TO_DEVICE(BnbC.BNB_COPY_DEVICE_TO_DEVICE);

        private final int code;

        CopyDirection(int code) {
            this.code = code;
        }
    }

    private NativeRuntime() {
    }

    /** The C API's version, e.g. "0.1.0". */
    public static String version() {
        return BnbC.bnb_version().getString();
    }

    /**
     * The loaded CUDA backend as one line, e.g. "built with CUDA 13.0, runtime 13.0, sm 75,80,90", or "" when
     * none answers.
     */
    public static String cudaBackendInfo() {
        int[] built = new int[1];
        int[] runtime = new int[1];
        byte[] archs = new byte[128];
        if (BnbC.bnb_cuda_backend_info(built, runtime, archs, archs.length) != BnbC.BNB_OK) {
            return "";
        }
        int len = 0;
        while (len < archs.length && archs[len] != 0) {
            len++;
        }
        return "built with CUDA " + cudaVersion(built[0]) + ", runtime " + cudaVersion(runtime[0]) + ", sm "
                + new String(archs, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static String cudaVersion(int v) {
        return v / 1000 + "." + (v % 1000) / 10;
    }

    /** Makes {@code device} current on the calling thread. */
    public static void setDevice(Device device) {
        NativeStatus.check(BnbC.bnb_cuda_set_device(device.index()), "selecting " + device);
    }

    /** Free and total memory of {@code device}. */
    public static DeviceMemory memoryInfo(Device device) {
        long[] free = new long[1];
        long[] total = new long[1];
        NativeStatus.check(BnbC.bnb_cuda_mem_get_info(device.index(), free, total), "reading memory of " + device);
        return new DeviceMemory(free[0], total[0]);
    }

    /** Free bytes of {@code device}, or {@link OutOfDeviceMemoryException#UNKNOWN} when they cannot be read. */
    public static long freeBytes(Device device) {
        long[] free = new long[1];
        long[] total = new long[1];
        return BnbC.bnb_cuda_mem_get_info(device.index(), free, total) == BnbC.BNB_OK ? free[0]
                : OutOfDeviceMemoryException.UNKNOWN;
    }

    /** {@code bytes} (> 0) of device memory on {@code device}. */
    public static Pointer mallocDevice(Device device, long bytes) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_malloc(device.index(), bytes, p), "allocating " + bytes + " bytes on "
                + device, bytes, () -> freeBytes(device));
        return p;
    }

    /**
     * {@code bytes} (> 0) of device memory from the device's stream-ordered pool, valid on {@code stream} from
     * this point of its order.
     */
    public static Pointer mallocDeviceAsync(Device device, long bytes, Pointer stream) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_malloc_async(device.index(), bytes, stream, p), "allocating " + bytes
                + " bytes on " + device, bytes, () -> freeBytes(device));
        return p;
    }

    /** Frees memory of {@link #mallocDeviceAsync} in {@code stream}'s order. */
    public static void freeDeviceAsync(Device device, Pointer p, Pointer stream) {
        NativeStatus.check(BnbC.bnb_cuda_free_async(device.index(), p, stream), "freeing device memory on "
                + device);
    }

    /** {@code bytes} (> 0) of page-locked host memory. */
    public static Pointer mallocPinned(long bytes) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_malloc_host(bytes, p), "allocating " + bytes + " bytes of pinned memory",
                bytes, () -> OutOfDeviceMemoryException.UNKNOWN);
        return p;
    }

    /** {@code bytes} (> 0) of managed memory, attached to the host until prefetched. */
    public static Pointer mallocManaged(long bytes) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_malloc_managed(bytes, p), "allocating " + bytes
                + " bytes of managed memory", bytes, () -> OutOfDeviceMemoryException.UNKNOWN);
        return p;
    }

    /** Frees memory of {@link #mallocDevice}. */
    public static void freeDevice(Device device, Pointer p) {
        NativeStatus.check(BnbC.bnb_cuda_free(device.index(), p), "freeing device memory on " + device);
    }

    /** Frees memory of {@link #mallocPinned}. */
    public static void freePinned(Pointer p) {
        NativeStatus.check(BnbC.bnb_cuda_free_host(p), "freeing pinned memory");
    }

    /** Frees memory of {@link #mallocManaged}. */
    public static void freeManaged(Pointer p) {
        NativeStatus.check(BnbC.bnb_cuda_free_managed(p), "freeing managed memory");
    }

    /** Queues a copy of {@code bytes} on {@code stream}; {@code what} names it in errors. */
    public static void copy(Pointer dst, Pointer src, long bytes, CopyDirection direction, CudaStream stream,
            String what) {
        NativeStatus.check(BnbC.bnb_cuda_memcpy(dst, src, bytes, direction.code, stream.pointer()), what);
    }

    /** Queues zeroing {@code bytes} of device memory of {@code device} on {@code stream}. */
    public static void zero(Pointer dst, long bytes, Device device, CudaStream stream) {
        NativeStatus.check(BnbC.bnb_cuda_memset(dst, 0, bytes, stream.pointer()), "zeroing a tensor on " + device);
    }

    /**
     * Queues a migration of {@code bytes} of managed memory to {@code target} (a CUDA device or the CPU) on
     * {@code stream}; false when the device cannot do concurrent managed access (nothing queued).
     */
    public static boolean prefetch(Pointer p, long bytes, Device target, CudaStream stream) {
        int[] done = new int[1];
        NativeStatus.check(BnbC.bnb_cuda_prefetch(p, bytes, target.isCuda() ? target.index() : -1, stream.pointer(),
                done), "prefetching a managed tensor to " + target);
        return done[0] != 0;
    }

    /** A new non-blocking stream on {@code device}. */
    public static Pointer createStream(Device device) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_stream_create(device.index(), p), "creating a stream on " + device);
        return p;
    }

    /** Destroys a stream of {@link #createStream}. */
    public static void destroyStream(Pointer stream, Device device) {
        NativeStatus.check(BnbC.bnb_cuda_stream_destroy(stream), "destroying a stream on " + device);
    }

    /** Waits for the work queued on {@code stream}. */
    public static void synchronize(Pointer stream, Device device) {
        NativeStatus.check(BnbC.bnb_cuda_stream_synchronize(stream), "synchronizing a stream on " + device);
    }

    /** A new event (of the current device). */
    public static Pointer createEvent(Device device) {
        Pointer p = new Pointer();
        NativeStatus.check(BnbC.bnb_cuda_event_create(p), "creating an event on " + device);
        return p;
    }

    /** Destroys an event of {@link #createEvent}. */
    public static void destroyEvent(Pointer event) {
        NativeStatus.check(BnbC.bnb_cuda_event_destroy(event), "destroying an event");
    }

    /** Records {@code event} on {@code stream}. */
    public static void recordEvent(Pointer event, Pointer stream) {
        NativeStatus.check(BnbC.bnb_cuda_event_record(event, stream), "recording an event");
    }

    /** Waits for {@code end}, then the milliseconds between the two recorded events. */
    public static float elapsedMs(Pointer start, Pointer end) {
        float[] ms = new float[1];
        NativeStatus.check(BnbC.bnb_cuda_event_elapsed(start, end, ms), "reading event times");
        return ms[0];
    }
}
