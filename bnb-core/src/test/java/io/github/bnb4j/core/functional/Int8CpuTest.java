package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;

/** {@link Int8Conformance} on the CPU backend. */
class Int8CpuTest extends Int8Conformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
