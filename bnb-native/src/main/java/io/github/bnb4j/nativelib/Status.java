package io.github.bnb4j.nativelib;

import io.github.bnb4j.nativelib.internal.BnbC;

/** Status codes returned by every function of the C API ({@code BNB_OK}, {@code BNB_ERR_*} in bnb/types.h). */
public enum Status {
    OK(BnbC.BNB_OK),
    INVALID_ARGUMENT(BnbC.BNB_ERR_INVALID_ARGUMENT),
    UNSUPPORTED(BnbC.BNB_ERR_UNSUPPORTED),
    CUDA_ERROR(BnbC.BNB_ERR_CUDA),
    OUT_OF_MEMORY(BnbC.BNB_ERR_OUT_OF_MEMORY),
    NO_BACKEND(BnbC.BNB_ERR_NO_BACKEND),
    INTERNAL(BnbC.BNB_ERR_INTERNAL);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The C value. */
    public int code() {
        return code;
    }

    /** The status for a C value; unknown values map to {@link #INTERNAL}. */
    public static Status of(int code) {
        for (Status s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return INTERNAL;
    }
}
