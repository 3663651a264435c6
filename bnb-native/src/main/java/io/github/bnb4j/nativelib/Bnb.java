package io.github.bnb4j.nativelib;

/**
 * Entry point to the native libraries. The first call loads {@code libbnb_cpu} and, when the loader
 * chooses one, a CUDA backend (see {@link BackendSelector}); it logs one INFO line naming the binary and
 * why, or one WARN line when it falls back to the CPU. Loading never throws from here: a failure is kept
 * in the {@link LoadReport} and raised by the first call that needs what failed.
 */
public final class Bnb {
    private static volatile LoadReport report;

    private Bnb() {
    }

    /** What was found and loaded; loads on first use. */
    public static LoadReport report() {
        LoadReport r = report;
        if (r == null) {
            synchronized (Bnb.class) {
                r = report;
                if (r == null) {
                    r = NativeLoader.load();
                    report = r;
                }
            }
        }
        return r;
    }

    /** True when a CUDA backend is loaded and at least one usable GPU is present. */
    public static boolean isCudaAvailable() {
        return report().cudaAvailable();
    }

    /**
     * Makes sure the CPU library is loaded and no setting asks for what cannot be given.
     *
     * @throws BnbException with status NO_BACKEND and the loader's diagnostics when the library is not loaded,
     *                      or when {@code BNB_CUDA_VERSION} / {@code -Dbnb.cuda.version} names a CUDA build that
     *                      is not shipped (an explicit request is never answered with the CPU)
     */
    public static void requireNativeLibrary() {
        requireNativeLibrary(report());
    }

    /** {@link #requireNativeLibrary()} for a given report. */
    static void requireNativeLibrary(LoadReport r) {
        if (r.configurationError().isPresent()) {
            throw new BnbException(Status.NO_BACKEND, "choosing the native backend", r.configurationError().get());
        }
        if (r.cpuLibrary().isEmpty()) {
            throw new BnbException(Status.NO_BACKEND, "loading libbnb_cpu",
                    r.failure().orElse("unknown failure") + ". Run `java -jar bnb-core.jar` for diagnostics.");
        }
    }

    /**
     * Makes sure the CUDA backend is usable.
     *
     * @param operation what needs the GPU, for the message
     * @throws BnbException with status NO_BACKEND, the reason and the diagnostics when it is not
     */
    public static void requireCuda(String operation) {
        requireNativeLibrary();
        LoadReport r = report();
        if (!r.cudaAvailable()) {
            String why = r.failure().orElse(r.selection().reason());
            throw new BnbException(Status.NO_BACKEND, operation,
                    "the CUDA backend is not available: " + why + " [driver "
                            + r.driverVersion().map(CudaVersion::toString).orElse("none") + ", GPUs " + r.gpus()
                            + ", shipped CUDA builds " + r.shippedBuilds()
                            + "]. Run `java -jar bnb-core.jar` for diagnostics.");
        }
    }
}
