package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link ManagerConformance} on the CPU backend. */
class ManagerCpuTest extends ManagerConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
