package io.github.bnb4j.nativelib;

/**
 * A CUDA allocation failed for lack of memory: device memory, page-locked (pinned) host memory, managed memory,
 * or the temporary memory a kernel call allocates on its stream.
 */
public final class OutOfDeviceMemoryException extends BnbException {
    /** A figure the failing call could not know ({@link #bytesRequested()}, {@link #bytesFree()}). */
    public static final long UNKNOWN = -1;

    private static final long serialVersionUID = 1L;

    private final long bytesRequested;
    private final long bytesFree;

    /**
     * @param operation      what was attempted
     * @param detail         the native detail ("file:line: ...")
     * @param bytesRequested bytes the allocation asked for, or {@link #UNKNOWN}
     * @param bytesFree      free bytes of the device right after the failure, or {@link #UNKNOWN}
     */
    public OutOfDeviceMemoryException(String operation, String detail, long bytesRequested, long bytesFree) {
        super(Status.OUT_OF_MEMORY, operation, detail + " (asked for " + figure(bytesRequested) + " bytes, "
                + figure(bytesFree) + " bytes free)");
        this.bytesRequested = bytesRequested;
        this.bytesFree = bytesFree;
    }

    private static String figure(long bytes) {
        return bytes == UNKNOWN ? "unknown" : Long.toString(bytes);
    }

    /** Bytes the failed allocation asked for, or {@link #UNKNOWN}. */
    public long bytesRequested() {
        return bytesRequested;
    }

    /** Bytes the device reported free right after the failure, or {@link #UNKNOWN}. */
    public long bytesFree() {
        return bytesFree;
    }
}
