package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link FourBitConformance} on the CPU backend. */
class FourBitCpuTest extends FourBitConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
