package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link CastConformance} on the CUDA backend. */
@Tag("cuda")
class CastCudaTest extends CastConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
