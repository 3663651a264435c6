package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link FourBitBadInputConformance} on the CPU backend. */
class FourBitBadInputCpuTest extends FourBitBadInputConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
