package io.github.bnb4j.nativelib;

import java.util.List;
import java.util.Optional;

/**
 * What the loader found and chose; {@link Bnb#report()} returns it and the diagnostics print it.
 *
 * @param cpuLibrary     file the CPU library was loaded from, or empty if it failed to load
 * @param driverVersion  CUDA version the driver supports, empty without a driver
 * @param gpus           the GPUs the driver lists
 * @param shippedBuilds  CUDA builds packaged with this library
 * @param cudaArchs      SM architectures the CUDA builds contain real code for
 * @param selection      what {@link BackendSelector} chose and why
 * @param cudaLibrary    file the CUDA backend was loaded from, empty when none
 * @param failure        why the CPU library or the chosen CUDA backend could not be loaded, if so
 * @param configurationError a setting that cannot be honoured (a {@code BNB_CUDA_VERSION} naming no shipped
 *                       build): then no backend is usable, and {@link Bnb#requireNativeLibrary()} throws it
 */
public record LoadReport(Optional<String> cpuLibrary, Optional<CudaVersion> driverVersion, List<GpuInfo> gpus,
        List<CudaVersion> shippedBuilds, List<Integer> cudaArchs, Selection selection, Optional<String> cudaLibrary,
        Optional<String> failure, Optional<String> configurationError) {

    /** True when the CUDA backend is loaded and usable. */
    public boolean cudaAvailable() {
        return cudaLibrary.isPresent() && failure.isEmpty() && configurationError.isEmpty();
    }
}
