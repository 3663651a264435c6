package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link QuantilesConformance} on the CPU backend. */
class QuantilesCpuTest extends QuantilesConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
