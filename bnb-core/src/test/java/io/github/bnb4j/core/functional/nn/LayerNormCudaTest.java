package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link LayerNormConformance} on the CUDA backend. */
@Tag("cuda")
class LayerNormCudaTest extends LayerNormConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
