package io.github.bnb4j.examples.bench;

import java.util.Arrays;

import io.github.bnb4j.core.CudaEvent;
import io.github.bnb4j.core.Device;

/**
 * Device time of a piece of GPU work from CUDA events around many back-to-back launches: warm up, then
 * {@code repeats} timed runs of {@code iterations} launches each; the median per-launch time is reported.
 */
final class DeviceTimer {
    private final Device device;
    private final int iterations;
    private final int repeats;

    DeviceTimer(Device device, int iterations, int repeats) {
        this.device = device;
        this.iterations = iterations;
        this.repeats = repeats;
    }

    /** Median milliseconds per launch of {@code work}. */
    double medianMs(Runnable work) {
        for (int i = 0; i < 3; i++) {
            work.run();
        }
        double[] ms = new double[repeats];
        try (CudaEvent start = CudaEvent.create(device); CudaEvent end = CudaEvent.create(device)) {
            for (int r = 0; r < repeats; r++) {
                start.record();
                for (int i = 0; i < iterations; i++) {
                    work.run();
                }
                end.record();
                ms[r] = CudaEvent.elapsedMs(start, end) / iterations;
            }
        }
        Arrays.sort(ms);
        return ms[repeats / 2];
    }
}
