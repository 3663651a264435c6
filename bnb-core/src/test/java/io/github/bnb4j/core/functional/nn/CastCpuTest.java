package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link CastConformance} on the CPU backend. */
class CastCpuTest extends CastConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
