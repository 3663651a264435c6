package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link LinearConformance} on the CPU backend. */
class LinearCpuTest extends LinearConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
