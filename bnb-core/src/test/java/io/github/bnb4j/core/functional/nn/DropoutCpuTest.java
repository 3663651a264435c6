package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link DropoutConformance} on the CPU backend. */
class DropoutCpuTest extends DropoutConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
