package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link CheckpointConformance} on the CPU backend. */
class CheckpointCpuTest extends CheckpointConformance {
    @Override
    Device device() {
        return Device.cpu();
    }
}
