package io.github.bnb4j.examples.bench;

import java.util.Optional;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.nativelib.Bnb;
import io.github.bnb4j.nativelib.LoadReport;

/**
 * The GPU the benchmarks measure. The benchmarks time CUDA kernels with CUDA events, so on a machine without a
 * usable GPU they say so and end normally instead of failing with {@code NO_BACKEND}.
 */
final class BenchmarkGpu {
    private BenchmarkGpu() {
    }

    /** cuda:0, or empty after printing to standard error why {@code benchmark} cannot run here. */
    static Optional<Device> cudaOrExplain(String benchmark) {
        if (Bnb.isCudaAvailable()) {
            return Optional.of(Device.cuda(0));
        }
        LoadReport r = Bnb.report();
        System.err.println(benchmark + " measures CUDA kernels and needs a CUDA GPU; none is usable here ("
                + r.failure().orElse(r.selection().reason()) + "). Nothing was measured. Run it on a GPU host, for "
                + "example through the bundle of scripts/make-bundle.sh.");
        return Optional.empty();
    }
}
