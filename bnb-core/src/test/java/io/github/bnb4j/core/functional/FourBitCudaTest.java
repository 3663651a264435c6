package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link FourBitConformance} on the CUDA backend. */
@Tag("cuda")
class FourBitCudaTest extends FourBitConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
