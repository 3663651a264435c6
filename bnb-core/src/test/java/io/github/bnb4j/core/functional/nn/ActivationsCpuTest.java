package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link ActivationsConformance} on the CPU backend. */
class ActivationsCpuTest extends ActivationsConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
