package io.github.bnb4j.core.functional.transformer;

import io.github.bnb4j.core.Device;

/** {@link AttentionConformance} on the CPU backend. */
class AttentionCpuTest extends AttentionConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
