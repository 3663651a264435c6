package io.github.bnb4j.nativelib;

/** A native call failed. Carries the status and the native detail ("file:line: message"). */
public class BnbException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;
    private final String detail;

    public BnbException(Status status, String operation, String detail) {
        super(operation + " failed with " + status + ": " + detail);
        this.status = status;
        this.detail = detail;
    }

    /** The native status. */
    public Status status() {
        return status;
    }

    /** The native detail text, with file and line. */
    public String detail() {
        return detail;
    }
}
