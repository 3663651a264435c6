package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link EmbeddingConformance} on the CPU backend. */
class EmbeddingCpuTest extends EmbeddingConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
