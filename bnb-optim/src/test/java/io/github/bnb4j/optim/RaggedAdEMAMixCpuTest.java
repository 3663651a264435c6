package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link RaggedAdEMAMixConformance} on the CPU backend. */
class RaggedAdEMAMixCpuTest extends RaggedAdEMAMixConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
