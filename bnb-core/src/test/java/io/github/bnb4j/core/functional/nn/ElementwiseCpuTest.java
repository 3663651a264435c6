package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link ElementwiseConformance} on the CPU backend. */
class ElementwiseCpuTest extends ElementwiseConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
