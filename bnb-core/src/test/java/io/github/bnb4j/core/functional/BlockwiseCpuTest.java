package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link BlockwiseConformance} on the CPU backend. */
class BlockwiseCpuTest extends BlockwiseConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
