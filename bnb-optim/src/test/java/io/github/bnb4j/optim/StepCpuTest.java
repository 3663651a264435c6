package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link StepConformance} on the CPU backend. */
class StepCpuTest extends StepConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
