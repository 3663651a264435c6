package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link StateDictConformance} on the CUDA backend. */
@Tag("cuda")
class StateDictCudaTest extends StateDictConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
