package io.github.bnb4j.core.functional.nn;

import io.github.bnb4j.core.Device;

/** {@link CrossEntropyConformance} on the CPU backend. */
class CrossEntropyCpuTest extends CrossEntropyConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
