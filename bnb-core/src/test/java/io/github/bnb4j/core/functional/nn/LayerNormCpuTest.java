package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link LayerNormConformance} on the CPU backend. */
class LayerNormCpuTest extends LayerNormConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
