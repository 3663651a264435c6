package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link StateDictConformance} on the CPU backend. */
class StateDictCpuTest extends StateDictConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
