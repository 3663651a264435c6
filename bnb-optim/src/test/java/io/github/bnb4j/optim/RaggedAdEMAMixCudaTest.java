package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link RaggedAdEMAMixConformance} on the CUDA backend. */
@Tag("cuda")
class RaggedAdEMAMixCudaTest extends RaggedAdEMAMixConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
