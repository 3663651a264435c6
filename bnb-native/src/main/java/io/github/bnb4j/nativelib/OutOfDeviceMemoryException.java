package io.github.bnb4j.nativelib;

/** A device allocation failed for lack of memory. */
public final class OutOfDeviceMemoryException extends BnbException {
    private static final long serialVersionUID = 1L;

    private final long bytesRequested;
    private final long bytesFree;

    public OutOfDeviceMemoryException(String operation, String detail, long bytesRequested, long bytesFree) {
        super(Status.OUT_OF_MEMORY, operation,
                detail + " (asked for " + bytesRequested + " bytes, " + bytesFree + " bytes free)");
        this.bytesRequested = bytesRequested;
        this.bytesFree = bytesFree;
    }

    /** Bytes the failed allocation asked for. */
    public long bytesRequested() {
        return bytesRequested;
    }

    /** Bytes the device reported free right after the failure. */
    public long bytesFree() {
        return bytesFree;
    }
}
