package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link Int8MatmulConformance} on the CPU backend. */
class Int8MatmulCpuTest extends Int8MatmulConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
