package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link GemmConformance} on the CPU backend. */
class GemmCpuTest extends GemmConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
