package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link QuantizedEmbeddingConformance} on the CPU backend. */
class QuantizedEmbeddingCpuTest extends QuantizedEmbeddingConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
