package io.github.bnb4j.core.functional.transformer;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link RmsNormConformance} on the CUDA backend. */
@Tag("cuda")
class RmsNormCudaTest extends RmsNormConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
