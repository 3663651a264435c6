package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link EightBitConformance} on the CPU backend. */
class EightBitCpuTest extends EightBitConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
