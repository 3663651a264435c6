package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link LlamaConformance} on the CUDA backend. */
@Tag("cuda")
class LlamaCudaTest extends LlamaConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
