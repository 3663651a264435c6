package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link QuantizedLinearConformance} on the CPU backend. */
class QuantizedLinearCpuTest extends QuantizedLinearConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
