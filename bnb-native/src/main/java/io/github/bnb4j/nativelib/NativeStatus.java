package io.github.bnb4j.nativelib;

/** Turns C API status codes into exceptions. */
public final class NativeStatus {
    private NativeStatus() {
    }

    /**
     * Returns normally when {@code status} is {@code BNB_OK}.
     *
     * @param status    the value a {@link BnbC} function returned
     * @param operation what was attempted, for the message
     * @throws BnbException with the status and {@link #lastError()} otherwise
     */
    public static void check(int status, String operation) {
        if (status != BnbC.BNB_OK) {
            throw new BnbException(Status.of(status), operation, lastError());
        }
    }

    /** The calling thread's last native error detail. */
    public static String lastError() {
        return BnbC.bnb_last_error().getString();
    }
}
