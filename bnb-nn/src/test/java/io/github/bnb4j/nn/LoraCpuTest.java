package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link LoraConformance} on the CPU backend. */
class LoraCpuTest extends LoraConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
