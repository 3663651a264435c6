package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link UpstreamLayersConformance} on the CPU backend. */
class UpstreamLayersCpuTest extends UpstreamLayersConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
