package io.github.bnb4j.nativelib;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link BackendSelector} needs to know about the machine and the user's settings. The loader reads
 * the environment variables, system properties and the driver; this record only carries the values, so
 * the selection rules can be tested without a GPU.
 *
 * @param forceCpu        {@code BNB_BACKEND=cpu}: use the CPU whatever else is found
 * @param cudaOverride    the build asked for by {@code BNB_CUDA_VERSION} or {@code -Dbnb.cuda.version}
 * @param driverVersion   the CUDA version the installed driver supports; empty without a driver
 * @param deviceCount     number of CUDA devices the driver reports, at least 0
 * @param capabilities    compute capability of each device, in device order (may be empty if unknown)
 */
public record Environment(boolean forceCpu, Optional<CudaVersion> cudaOverride, Optional<CudaVersion> driverVersion,
        int deviceCount, List<ComputeCapability> capabilities) {

    /**
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if deviceCount is negative
     */
    public Environment {
        Objects.requireNonNull(cudaOverride, "cudaOverride");
        Objects.requireNonNull(driverVersion, "driverVersion");
        if (deviceCount < 0) {
            throw new IllegalArgumentException("deviceCount must be >= 0, got " + deviceCount);
        }
        capabilities = List.copyOf(capabilities);
    }
}
