package io.github.bnb4j.core.functional.transformer;

import io.github.bnb4j.core.Device;

/** {@link RotaryEmbeddingConformance} on the CPU backend. */
class RotaryEmbeddingCpuTest extends RotaryEmbeddingConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
