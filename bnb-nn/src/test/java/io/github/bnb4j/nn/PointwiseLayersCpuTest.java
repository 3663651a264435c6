package io.github.bnb4j.nn;

import io.github.bnb4j.core.Device;

/** {@link PointwiseLayersConformance} on the CPU backend. */
class PointwiseLayersCpuTest extends PointwiseLayersConformance {
    @Override
    protected Device device() {
        return Device.cpu();
    }
}
