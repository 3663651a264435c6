package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link ReferenceVectorConformance} on the CPU backend. */
class ReferenceVectorCpuTest extends ReferenceVectorConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
