package io.github.bnb4j.nn;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Elementwise;

/** Where upstream's layers cast ({@code x.to(dtype)}): a new tensor only when the dtype changes. */
final class Casts {
    private Casts() {
    }

    /** {@code t} itself when it has {@code dtype}, else a new cast copy the caller closes. */
    static Tensor to(Tensor t, DType dtype) {
        return t.dtype() == dtype ? t : Elementwise.cast(t, dtype);
    }

    /** {@code t} converted to {@code dtype}, closing {@code t} when a new tensor replaces it (also on failure). */
    static Tensor replace(Tensor t, DType dtype) {
        if (t.dtype() == dtype) {
            return t;
        }
        try (t) {
            return Elementwise.cast(t, dtype);
        }
    }

    /** Closes {@code temporary} unless it is {@code original} (what {@link #to} returned for it). */
    static void release(Tensor temporary, Tensor original) {
        if (temporary != null && temporary != original) {
            temporary.close();
        }
    }
}
