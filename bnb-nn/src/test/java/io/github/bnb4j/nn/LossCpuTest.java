package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link LossConformance} on the CPU backend. */
class LossCpuTest extends LossConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
