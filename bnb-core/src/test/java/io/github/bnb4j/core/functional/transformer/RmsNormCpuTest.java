package io.github.bnb4j.core.functional.transformer;

import io.github.bnb4j.core.Device;

/** {@link RmsNormConformance} on the CPU backend. */
class RmsNormCpuTest extends RmsNormConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
