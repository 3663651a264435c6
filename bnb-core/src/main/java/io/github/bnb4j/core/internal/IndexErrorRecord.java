package io.github.bnb4j.core.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Where the CUDA kernels of {@code bnb/nn_ops.h} report an out-of-range index without a host sync (the header's
 * "Index errors"): per CUDA device and kind of index, two i64 words (position, value) in device memory that the
 * kernels claim with a compare-and-swap from -1, and their page-locked host mirror, which each call refreshes with
 * an asynchronous copy on its stream. {@link #throwIfRecorded} reads the mirror without synchronizing (it sees
 * what the copies queued before it have delivered) and, when a bad index is there, synchronizes the stream,
 * resets the record and throws. The 32 bytes per device and kind live as long as the process.
 */
final class IndexErrorRecord {
    /** The kinds of index the nn family checks; each has its own record so that the message names it. */
    enum Kind {
        EMBEDDING_INDEX("embedding index indices[%d] = %d is outside [0, rows of the table)"),
        CROSS_ENTROPY_LABEL("cross-entropy label labels[%d] = %d is neither ignore_index nor in [0, classes)");

        private final String format;

        Kind(String format) {
            this.format = format;
        }
    }

    private record Key(Device device, Kind kind) {
    }

    private static final Map<Key, IndexErrorRecord> RECORDS = new ConcurrentHashMap<>();
    private static final long NONE = -1;

    private final Key key;
    private final LongPointer onDevice;
    private final LongPointer onHost;

    private IndexErrorRecord(Key key, LongPointer onDevice, LongPointer onHost) {
        this.key = key;
        this.onDevice = onDevice;
        this.onHost = onHost;
    }

    /** The record of {@code kind} on a CUDA device, made (and cleared, synchronously) at its first use. */
    static IndexErrorRecord of(Device device, Kind kind) {
        return RECORDS.computeIfAbsent(new Key(device, kind), IndexErrorRecord::create);
    }

    private static IndexErrorRecord create(Key key) {
        LongPointer onDevice = new LongPointer(NativeRuntime.mallocDevice(key.device(), 2 * Long.BYTES));
        LongPointer onHost = new LongPointer(NativeRuntime.mallocPinned(2 * Long.BYTES));
        onHost.put(0, NONE).put(1, NONE);
        CudaStream stream = CudaStream.current(key.device());
        clear(onDevice, stream, key.device());
        NativeRuntime.synchronize(stream.pointer(), key.device());
        return new IndexErrorRecord(key, onDevice, onHost);
    }

    /** The device words the kernels write. */
    LongPointer device() {
        return onDevice;
    }

    /** The host mirror the calls refresh. */
    LongPointer host() {
        return onHost;
    }

    /**
     * Throws if a call before this one recorded a bad index, as far as the host mirror shows now (no sync); with
     * {@code synchronize}, first waits for {@code stream} so that every call queued on it is seen.
     *
     * @throws IllegalArgumentException naming the index's position and value; the record is cleared
     */
    void throwIfRecorded(CudaStream stream, boolean synchronize) {
        if (synchronize) {
            NativeRuntime.synchronize(stream.pointer(), key.device());
        }
        if (onHost.get(0) == NONE) {
            return;
        }
        // The mirror's two words may still be arriving: wait for the copy, then read both.
        NativeRuntime.synchronize(stream.pointer(), key.device());
        long position = onHost.get(0);
        long value = onHost.get(1);
        onHost.put(0, NONE).put(1, NONE);
        clear(onDevice, stream, key.device());
        throw new IllegalArgumentException(String.format(key.kind().format, position, value) + " (found on "
                + key.device() + " by an earlier call, whose output for it is zeros or NaN; calls are checked"
                + " without a host sync, so the error surfaces at the next call of the same kind or at"
                + " IndexErrors.check)");
    }

    private static void clear(Pointer onDevice, CudaStream stream, Device device) {
        NativeStatus.check(BnbC.bnb_cuda_memset(onDevice, 0xff, 2 * Long.BYTES, stream.pointer()),
                "clearing the index error record on " + device);
    }
}
