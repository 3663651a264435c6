package io.github.bnb4j.core.testing;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.TensorScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the conformance suites that run unchanged against every backend: a CPU subclass and a
 * {@code cuda}-tagged subclass supply {@link #device()}. Every tensor a test makes is closed after it.
 */
public abstract class BackendConformance {
    private TensorScope scope;

    /** The device under test; the CUDA subclasses skip by assumption when there is no GPU. */
    protected abstract Device device();

    @BeforeEach
    void openScope() {
        scope = TensorScope.open();
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }
}
