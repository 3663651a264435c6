package io.github.bnb4j.optim;

import io.github.bnb4j.core.Device;

/** {@link PagedConformance} on the CPU backend. */
class PagedCpuTest extends PagedConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
