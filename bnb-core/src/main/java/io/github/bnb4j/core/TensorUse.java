package io.github.bnb4j.core;

import java.util.Arrays;

/**
 * A use of one or more tensors by a native call: while it is open, closing one of the tensors (from any
 * thread) marks it closed but frees its memory only after this use ends. Wrap every call that hands a
 * tensor's address to native code:
 * <pre>{@code
 * try (TensorUse use = TensorUse.of(code, a, absmax, out)) {
 *     NativeQuant.quantizeBlockwise(code, a, absmax, out, blocksize); // a facade of core.internal
 * }
 * }</pre>
 * A use belongs to the thread that opened it; {@link #close()} ends it once (later calls do nothing).
 */
public final class TensorUse implements AutoCloseable {
    private final Tensor[] tensors;
    private boolean ended;

    private TensorUse(Tensor[] tensors) {
        this.tensors = tensors;
    }

    /**
     * Begins a use of every non-null tensor of {@code tensors} (optional operands may be null); a tensor listed
     * twice is used twice, which is harmless.
     *
     * @throws NullPointerException  if the array itself is null
     * @throws IllegalStateException if one of the tensors is closed; the uses already begun are ended
     */
    public static TensorUse of(Tensor... tensors) {
        Tensor[] used = Arrays.stream(tensors).filter(t -> t != null).toArray(Tensor[]::new);
        for (int i = 0; i < used.length; i++) {
            try {
                used[i].beginUse();
            } catch (RuntimeException e) {
                for (int j = 0; j < i; j++) {
                    used[j].endUse();
                }
                throw e;
            }
        }
        return new TensorUse(used);
    }

    /** Ends the use; the memory of a tensor closed meanwhile is freed now if this was its last use. */
    @Override
    public void close() {
        if (ended) {
            return;
        }
        ended = true;
        for (Tensor t : tensors) {
            t.endUse();
        }
    }
}
