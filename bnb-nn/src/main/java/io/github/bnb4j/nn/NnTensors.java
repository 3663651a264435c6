package io.github.bnb4j.nn;

import io.github.bnb4j.core.Tensor;

/** Cleanup of the temporaries a layer made before a call failed. */
final class NnTensors {
    private NnTensors() {
    }

    /** Closes the non-null tensors (closing twice is harmless). */
    static void closeAll(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }
}
