package io.github.bnb4j.optim;

import java.nio.FloatBuffer;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;

/**
 * The ranges a checkpoint's F32 state values must lie in, so that a corrupted or hand-edited checkpoint is
 * refused at load instead of poisoning every later step: a NaN or negative absmax scales a whole block of 8-bit
 * state to NaN or flips its sign; a negative second moment makes {@code sqrt(v)} NaN.
 */
enum CheckpointValues {
    /** First moments and momenta: any finite value. */
    FINITE(false),
    /** Absmax scales, second moments, accumulators, norms: finite and {@code >= 0}. */
    FINITE_NON_NEGATIVE(true);

    private final boolean nonNegative;

    CheckpointValues(boolean nonNegative) {
        this.nonNegative = nonNegative;
    }

    /** Bytes scanned per buffer: a multiple of 4 that one ByteBuffer holds. */
    private static final int CHUNK_BYTES = 1 << 30;

    /**
     * Checks every value of the F32 CPU tensor {@code t} (of any size), saved as {@code name}.
     *
     * @throws IllegalArgumentException naming the tensor, the first bad index and its value
     */
    void require(Tensor t, String name) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException("checkpoint tensor '" + name + "' must be F32, got " + t.dtype());
        }
        for (long done = 0; done < t.byteSize(); done += CHUNK_BYTES) {
            FloatBuffer values = t.asByteBuffer(done, (int) Math.min(CHUNK_BYTES, t.byteSize() - done))
                    .asFloatBuffer();
            for (int i = 0; i < values.limit(); i++) {
                float v = values.get(i);
                if (!Float.isFinite(v) || (nonNegative && v < 0)) {
                    throw new IllegalArgumentException("checkpoint tensor '" + name + "' must hold "
                            + (nonNegative ? "finite values >= 0" : "finite values") + ", got " + v + " at index "
                            + (done / Float.BYTES + i));
                }
            }
        }
    }
}
