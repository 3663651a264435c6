package io.github.bnb4j.nn.llama;

import io.github.bnb4j.core.Device;

/** {@link LlamaConformance} on the CPU backend. */
class LlamaCpuTest extends LlamaConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
