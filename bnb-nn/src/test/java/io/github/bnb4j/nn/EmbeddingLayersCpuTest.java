package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link EmbeddingLayersConformance} on the CPU backend. */
class EmbeddingLayersCpuTest extends EmbeddingLayersConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
