package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link QuantizedEmbeddingConformance} on the CUDA backend. */
@Tag("cuda")
class QuantizedEmbeddingCudaTest extends QuantizedEmbeddingConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
