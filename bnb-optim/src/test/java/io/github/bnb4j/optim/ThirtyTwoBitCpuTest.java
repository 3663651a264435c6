package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link ThirtyTwoBitConformance} on the CPU backend. */
class ThirtyTwoBitCpuTest extends ThirtyTwoBitConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
