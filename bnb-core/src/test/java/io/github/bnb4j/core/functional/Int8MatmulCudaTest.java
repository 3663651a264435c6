package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link Int8MatmulConformance} on the CUDA backend. */
@Tag("cuda")
class Int8MatmulCudaTest extends Int8MatmulConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
