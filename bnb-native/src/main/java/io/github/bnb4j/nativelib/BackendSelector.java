package io.github.bnb4j.nativelib;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Chooses the native backend from what the machine has and what was shipped: a pure function, so the
 * rules below are unit-tested without a GPU. The rules, checked in this order:
 * <ol>
 *   <li>{@code BNB_BACKEND=cpu} forces the CPU; nothing else is looked at.</li>
 *   <li>A CUDA override ({@code BNB_CUDA_VERSION} / {@code -Dbnb.cuda.version}) must name a shipped build,
 *       else the configuration is wrong and {@link IllegalArgumentException} says so.</li>
 *   <li>No driver or no device: CPU fallback.</li>
 *   <li>Every GPU below compute capability 7.5: CPU fallback (the CUDA builds have no kernels for them).</li>
 *   <li>An override selects its build, even one newer than the driver.</li>
 *   <li>Otherwise the build with the driver's major and the highest minor not above the driver's.
 *       None: CPU fallback. There is no cross-major choice, as upstream bitsandbytes does it.</li>
 * </ol>
 */
public final class BackendSelector {

    /** How users turn the override on; named in messages because the selector cannot tell which was used. */
    static final String OVERRIDE_NAMES = "BNB_CUDA_VERSION (or -Dbnb.cuda.version)";
    private static final String YOUR_TOOLKIT = "your CUDA toolkit";
    private static final String SILENCE_HINT = "set BNB_BACKEND=cpu to silence this warning";

    private BackendSelector() {
    }

    /**
     * Chooses the backend.
     *
     * @param env                the machine and the user's settings
     * @param shippedCudaBuilds  the CUDA builds available to load (any order, duplicates ignored)
     * @return the choice, with a reason for the log
     * @throws IllegalArgumentException if the override names a build that is not shipped
     */
    public static Selection select(Environment env, List<CudaVersion> shippedCudaBuilds) {
        if (env.forceCpu()) {
            return new Selection(Backend.CPU, Optional.empty(),
                    "BNB_BACKEND=cpu is set (unset it to let bnb4j choose a CUDA build)", false);
        }
        List<CudaVersion> shipped = List.copyOf(new TreeSet<>(shippedCudaBuilds));
        Optional<CudaVersion> override = env.cudaOverride();
        if (override.isPresent() && !shipped.contains(override.get())) {
            throw new IllegalArgumentException("BNB_CUDA_VERSION=" + override.get().suffix()
                    + " (or -Dbnb.cuda.version) names no shipped build; shipped: " + suffixes(shipped)
                    + "; unset it to select automatically, or " + buildHint("CUDA " + override.get()));
        }
        if (env.driverVersion().isEmpty()) {
            return fallback("no CUDA driver/GPU found (no NVIDIA driver could be loaded); install the NVIDIA "
                    + "driver to use a GPU, or " + SILENCE_HINT);
        }
        CudaVersion driver = env.driverVersion().get();
        if (env.deviceCount() == 0) {
            return fallback("no CUDA driver/GPU found (the driver supports CUDA " + driver + " but reports no "
                    + "device); check nvidia-smi and CUDA_VISIBLE_DEVICES, or " + SILENCE_HINT);
        }
        List<ComputeCapability> caps = env.capabilities();
        // An empty list means the caller could not read capabilities: let the load itself decide.
        if (!caps.isEmpty() && caps.stream().noneMatch(c -> c.isAtLeast(ComputeCapability.MINIMUM_SUPPORTED))) {
            return fallback(tooOldReason(caps));
        }
        String gpus = describeGpus(env) + unsupportedGpuNote(caps);
        if (override.isPresent()) {
            return overridden(override.get(), driver, gpus);
        }
        return automatic(driver, shipped, gpus);
    }

    private static Selection overridden(CudaVersion build, CudaVersion driver, String gpus) {
        String risk = build.compareTo(driver) > 0
                ? "; it is newer than the driver's CUDA " + driver + " and may fail to load"
                : "";
        return cuda(build, "CUDA " + build + " build chosen by " + OVERRIDE_NAMES + ", overriding automatic "
                + "selection (driver supports CUDA " + driver + "; " + gpus + ")" + risk
                + "; unset it to select automatically");
    }

    private static Selection automatic(CudaVersion driver, List<CudaVersion> shipped, String gpus) {
        List<CudaVersion> sameMajor = shipped.stream().filter(b -> b.major() == driver.major()).toList();
        Optional<CudaVersion> best = sameMajor.stream().filter(b -> b.minor() <= driver.minor())
                .reduce((a, b) -> b); // shipped is sorted, so the last one is the highest
        if (best.isPresent()) {
            CudaVersion build = best.get();
            if (build.equals(driver)) {
                return cuda(build, "CUDA " + build + " build matches the driver's CUDA " + driver + " (" + gpus + ")");
            }
            if (build.equals(sameMajor.get(sameMajor.size() - 1))) {
                return cuda(build, "CUDA " + build + " build is the newest shipped CUDA " + driver.major()
                        + " build; the driver's CUDA " + driver + " is newer and runs it (" + gpus + ")");
            }
            return cuda(build, "CUDA " + build + " build is the newest shipped CUDA " + driver.major()
                    + " build not above the driver's CUDA " + driver + " (" + gpus + "; no " + driver
                    + " build is shipped)");
        }
        return fallback(noMatchingBuildReason(driver, shipped, sameMajor, gpus));
    }

    private static String noMatchingBuildReason(CudaVersion driver, List<CudaVersion> shipped,
            List<CudaVersion> sameMajor, String gpus) {
        String found = "the driver supports CUDA " + driver + " (" + gpus + ")";
        if (shipped.isEmpty()) {
            return found + " but this bnb4j ships no CUDA build (only libbnb_cpu); " + buildHint(YOUR_TOOLKIT);
        }
        if (!sameMajor.isEmpty()) {
            // Only builds of a newer minor: a newer driver would run them (CUDA minor-version compatibility
            // goes from older builds to newer drivers only).
            CudaVersion oldest = sameMajor.get(0);
            return found + " but the oldest shipped CUDA " + driver.major() + " build needs CUDA " + oldest
                    + " (shipped: " + dotted(shipped) + "); update the NVIDIA driver to one supporting CUDA "
                    + oldest + " or newer, set BNB_CUDA_VERSION=" + oldest.suffix() + " to try it anyway, or "
                    + buildHint(YOUR_TOOLKIT);
        }
        CudaVersion newest = shipped.get(shipped.size() - 1);
        if (newest.major() > driver.major()) {
            CudaVersion oldestNewer = shipped.stream().filter(b -> b.major() > driver.major()).findFirst()
                    .orElseThrow();
            return found + " but no shipped build is for CUDA " + driver.major() + " (shipped: " + dotted(shipped)
                    + "); update the NVIDIA driver to one supporting CUDA " + oldestNewer + " or newer, or "
                    + buildHint(YOUR_TOOLKIT);
        }
        // Only older majors: the driver could run them, but bnb4j (like bitsandbytes) never crosses a major
        // on its own because the build's runtime libraries must be installed too.
        return found + " but no shipped build is for CUDA " + driver.major() + " (shipped: " + dotted(shipped)
                + "); set BNB_CUDA_VERSION=" + newest.suffix() + " to use the CUDA " + newest
                + " build if its runtime libraries are installed, or " + buildHint(YOUR_TOOLKIT);
    }

    private static String tooOldReason(List<ComputeCapability> caps) {
        String min = ComputeCapability.MINIMUM_SUPPORTED.toString();
        String found = caps.size() == 1
                ? "the GPU has compute capability " + caps.get(0)
                : "all " + caps.size() + " GPUs have compute capability below " + min + " ("
                        + caps.stream().map(ComputeCapability::toString).collect(Collectors.joining(", ")) + ")";
        return found + " but bnb4j's CUDA kernels need compute capability " + min + " (Turing) or newer; use a "
                + "newer GPU, or " + SILENCE_HINT;
    }

    /** "1 GPU: cc 9.0" or "2 GPUs: cc 9.0, 6.1"; just the count when capabilities are unknown. */
    private static String describeGpus(Environment env) {
        String count = env.deviceCount() + (env.deviceCount() == 1 ? " GPU" : " GPUs");
        if (env.capabilities().isEmpty()) {
            return count;
        }
        return count + ": cc " + env.capabilities().stream().map(ComputeCapability::toString)
                .collect(Collectors.joining(", "));
    }

    /** Names the GPUs the chosen build cannot run on, so a mixed machine's user knows which to avoid. */
    private static String unsupportedGpuNote(List<ComputeCapability> caps) {
        List<String> old = new ArrayList<>();
        for (int i = 0; i < caps.size(); i++) {
            if (!caps.get(i).isAtLeast(ComputeCapability.MINIMUM_SUPPORTED)) {
                old.add("GPU " + i + " (cc " + caps.get(i) + ")");
            }
        }
        if (old.isEmpty()) {
            return "";
        }
        return "; " + String.join(", ", old) + (old.size() == 1 ? " is" : " are") + " below "
                + ComputeCapability.MINIMUM_SUPPORTED + " and cannot run bnb4j's CUDA kernels";
    }

    /** The fix that always works: a build for the user's own toolkit; NativeLoader reads BNB_NATIVE_DIR. */
    private static String buildHint(String toolkit) {
        return "build csrc for " + toolkit + " with cmake (cmake -S csrc -B build && cmake --build build) and "
                + "point BNB_NATIVE_DIR at the output folder";
    }

    private static Selection cuda(CudaVersion build, String reason) {
        return new Selection(Backend.CUDA, Optional.of(build), reason, false);
    }

    private static Selection fallback(String reason) {
        return new Selection(Backend.CPU, Optional.empty(), reason, true);
    }

    private static String suffixes(List<CudaVersion> builds) {
        return builds.stream().map(CudaVersion::suffix).collect(Collectors.joining(", ", "[", "]"));
    }

    private static String dotted(List<CudaVersion> builds) {
        return builds.stream().map(CudaVersion::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
