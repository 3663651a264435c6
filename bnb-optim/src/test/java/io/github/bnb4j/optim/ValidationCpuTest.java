package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link ValidationConformance} on the CPU backend. */
class ValidationCpuTest extends ValidationConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
