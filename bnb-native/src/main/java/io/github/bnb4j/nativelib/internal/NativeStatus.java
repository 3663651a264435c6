package io.github.bnb4j.nativelib.internal;

import java.util.function.LongSupplier;

import io.github.bnb4j.nativelib.BnbException;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import io.github.bnb4j.nativelib.Status;

/** Turns C API status codes into exceptions. Internal: see the package documentation. */
public final class NativeStatus {
    private NativeStatus() {
    }

    /**
     * Returns normally when {@code status} is {@code BNB_OK}.
     *
     * @param status    the value a {@link BnbC} function returned
     * @param operation what was attempted, for the message
     * @throws OutOfDeviceMemoryException for {@code BNB_ERR_OUT_OF_MEMORY} (a kernel's temporary allocation:
     *                                    the figures are {@link OutOfDeviceMemoryException#UNKNOWN})
     * @throws BnbException               with the status and {@link #lastError()} for every other failure
     */
    public static void check(int status, String operation) {
        check(status, operation, OutOfDeviceMemoryException.UNKNOWN, () -> OutOfDeviceMemoryException.UNKNOWN);
    }

    /**
     * Like {@link #check(int, String)} for a call that allocates: an out-of-memory status carries the bytes asked
     * for and the free bytes {@code freeBytes} reads right after the failure.
     *
     * @param bytes     bytes the call asked for, or {@link OutOfDeviceMemoryException#UNKNOWN}
     * @param freeBytes reads the free bytes of the memory concerned, or returns
     *                  {@link OutOfDeviceMemoryException#UNKNOWN}; called only after an out-of-memory failure
     * @throws OutOfDeviceMemoryException for {@code BNB_ERR_OUT_OF_MEMORY}
     * @throws BnbException               with the status and {@link #lastError()} for every other failure
     */
    public static void check(int status, String operation, long bytes, LongSupplier freeBytes) {
        if (status == BnbC.BNB_OK) {
            return;
        }
        String detail = lastError();
        if (status == BnbC.BNB_ERR_OUT_OF_MEMORY) {
            throw new OutOfDeviceMemoryException(operation, detail, bytes, freeBytes.getAsLong());
        }
        throw new BnbException(Status.of(status), operation, detail);
    }

    /** The calling thread's last native error detail. */
    public static String lastError() {
        return BnbC.bnb_last_error().getString();
    }
}
