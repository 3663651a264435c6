package io.github.bnb4j.nativelib;

import java.util.Objects;
import java.util.Optional;

/**
 * The backend {@link BackendSelector} chose and why.
 *
 * @param kind     CPU or CUDA
 * @param build    the CUDA build to load; present exactly when {@code kind} is CUDA
 * @param reason   one sentence for the log line, including how to fix a fallback
 * @param fallback true when a GPU backend was wanted or possible but the CPU is used instead; the loader
 *                 logs such a selection as a warning
 */
public record Selection(Backend kind, Optional<CudaVersion> build, String reason, boolean fallback) {

    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code build} does not match {@code kind}, or a CUDA selection
     *                                  is marked as a fallback
     */
    public Selection {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(build, "build");
        Objects.requireNonNull(reason, "reason");
        if (build.isPresent() != (kind == Backend.CUDA)) {
            throw new IllegalArgumentException("build must be present exactly for a CUDA selection, got kind "
                    + kind + " with build " + build);
        }
        if (fallback && kind != Backend.CPU) {
            throw new IllegalArgumentException("only a CPU selection can be a fallback, got kind " + kind);
        }
    }

    /** The library's base name as in its file name without "lib" and ".so": {@code bnb_cpu}, {@code bnb_cuda130}. */
    public String libraryName() {
        return build.map(b -> "bnb_cuda" + b.suffix()).orElse("bnb_cpu");
    }
}
