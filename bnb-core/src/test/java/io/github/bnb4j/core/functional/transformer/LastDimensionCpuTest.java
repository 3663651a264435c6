package io.github.bnb4j.core.functional.transformer;

import io.github.bnb4j.core.Device;

/** {@link LastDimensionConformance} on the CPU backend. */
class LastDimensionCpuTest extends LastDimensionConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
