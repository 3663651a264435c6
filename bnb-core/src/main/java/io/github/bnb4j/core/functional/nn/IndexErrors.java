package io.github.bnb4j.core.functional.nn;

import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Out-of-range indices found on a CUDA device: embedding indices outside the table and cross-entropy labels that
 * are neither {@code ignoreIndex} nor a class. The CPU ops check their indices before they run and throw at once.
 * The CUDA ops cannot without a host sync, so they never follow a bad index (its output row is zeros, its loss
 * NaN, it adds no gradient) and record the first one in a per-device record that the host reads without
 * synchronizing: the next embedding (or cross-entropy) call on that device throws for it, or {@link #check} does.
 * A training loop that wants the error at a known point calls {@code check} where it synchronizes anyway (when
 * it reads the loss).
 */
public final class IndexErrors {
    private IndexErrors() {
    }

    /**
     * Waits for the current stream of {@code device} and throws if an embedding or cross-entropy call queued on it
     * (or seen earlier on another stream) met an index out of range; clears what it reports. Does nothing on the
     * CPU.
     *
     * @throws NullPointerException     if device is null
     * @throws IllegalArgumentException naming the index's position and value
     */
    public static void check(Device device) {
        NativeNnOps.checkIndexErrors(Objects.requireNonNull(device, "device"));
    }
}
