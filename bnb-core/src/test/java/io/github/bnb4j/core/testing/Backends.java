package io.github.bnb4j.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.nativelib.Bnb;

/** Test helpers for the per-backend conformance suites. */
public final class Backends {
    private Backends() {
    }

    /** cuda:0, or skips the test (by assumption) when no CUDA backend is available. */
    public static Device cudaOrSkip() {
        assumeTrue(Bnb.isCudaAvailable(), () -> "no CUDA backend: " + Bnb.report().selection().reason()
                + Bnb.report().failure().map(f -> "; " + f).orElse(""));
        return Device.cuda(0);
    }
}
