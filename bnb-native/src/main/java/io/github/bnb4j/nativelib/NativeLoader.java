package io.github.bnb4j.nativelib;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads the native libraries once and reports what it did; see {@link Bnb}. */
final class NativeLoader {
    private static final Logger LOG = LoggerFactory.getLogger(Bnb.class);
    private static final Pattern CUDA_LIBRARY = Pattern.compile("libbnb_cuda(\\d+)\\.so");
    /** Folder with extra CUDA backends built on this host (bundle/build-natives.sh writes one). */
    static final String NATIVE_DIR_PROPERTY = "bnb.native.dir";
    static final String NATIVE_DIR_ENV = "BNB_NATIVE_DIR";

    private NativeLoader() {
    }

    static LoadReport load() {
        String cpuLibrary;
        try {
            cpuLibrary = Loader.load(BnbC.class);
        } catch (Throwable t) {
            String failure = "cannot load libbnb_cpu for platform " + Loader.getPlatform() + ": " + t;
            LOG.error("bnb4j: {}", failure);
            Selection none = new Selection(Backend.CPU, Optional.empty(), failure, true);
            return new LoadReport(Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), none,
                    Optional.empty(), Optional.of(failure), Optional.empty());
        }
        Properties shipped = readShippedProperties();
        Map<CudaVersion, Path> external = externalCudaBuilds();
        List<CudaVersion> builds = new ArrayList<>(external.keySet());
        for (String suffix : shipped.getProperty("cuda.builds", "").split(",")) {
            if (!suffix.isBlank() && !builds.contains(CudaVersion.parse(suffix.trim()))) {
                builds.add(CudaVersion.parse(suffix.trim()));
            }
        }
        builds.sort(null);
        List<Integer> archs = new ArrayList<>();
        for (String arch : shipped.getProperty("cuda.archs", "").split(",")) {
            if (!arch.isBlank()) {
                archs.add(Integer.parseInt(arch.trim()));
            }
        }
        DriverProbe probe = DriverProbe.run();
        Selection selection;
        try {
            Environment env = new Environment(
                    "cpu".equalsIgnoreCase(System.getenv("BNB_BACKEND")),
                    overrideVersion(),
                    probe.driverVersion(),
                    probe.gpus().size(),
                    probe.gpus().stream().map(g -> new ComputeCapability(g.ccMajor(), g.ccMinor())).toList());
            selection = BackendSelector.select(env, builds);
        } catch (IllegalArgumentException e) {
            // An explicit request that cannot be honoured is an error, not a silent CPU fallback: every native
            // call fails with it (Bnb.requireNativeLibrary) until the setting is fixed.
            LOG.error("bnb4j: {}; no backend is used until this is fixed", e.getMessage());
            Selection none = new Selection(Backend.CPU, Optional.empty(), e.getMessage(), false);
            return new LoadReport(Optional.of(cpuLibrary), probe.driverVersion(), probe.gpus(), builds, archs, none,
                    Optional.empty(), Optional.of(e.getMessage()), Optional.of(e.getMessage()));
        }
        if (selection.kind() == Backend.CPU) {
            if (selection.fallback()) {
                LOG.warn("bnb4j: using the CPU backend: {}", selection.reason());
            } else {
                LOG.info("bnb4j: using the CPU backend: {}", selection.reason());
            }
            return new LoadReport(Optional.of(cpuLibrary), probe.driverVersion(), probe.gpus(), builds, archs,
                    selection, Optional.empty(), Optional.empty(), Optional.empty());
        }
        CudaVersion build = selection.build().orElseThrow();
        String fileName = "libbnb_cuda" + build.suffix() + ".so";
        Optional<String> failure = Optional.empty();
        String path = null;
        try {
            path = external.containsKey(build) ? external.get(build).toString() : extractShipped(fileName);
            NativeStatus.check(BnbC.bnb_cuda_backend_load(path), "loading " + path);
            LOG.info("bnb4j: using {} from {}: {}", fileName, path, selection.reason());
        } catch (IOException | BnbException e) {
            failure = Optional.of("cannot load " + fileName + ": " + e.getMessage());
            LOG.warn("bnb4j: using the CPU backend: {}. Rebuild the CUDA backend for this machine with "
                    + "`cmake -S csrc -B build && cmake --build build` and point {} at the output folder.",
                    failure.get(), NATIVE_DIR_ENV);
        }
        return new LoadReport(Optional.of(cpuLibrary), probe.driverVersion(), probe.gpus(), builds, archs, selection,
                Optional.ofNullable(failure.isPresent() ? null : path), failure, Optional.empty());
    }

    private static Optional<CudaVersion> overrideVersion() {
        String property = System.getProperty("bnb.cuda.version");
        if (property != null && !property.isBlank()) {
            return Optional.of(CudaVersion.parse(property.trim(), "-Dbnb.cuda.version"));
        }
        String env = System.getenv("BNB_CUDA_VERSION");
        return env == null || env.isBlank() ? Optional.empty()
                : Optional.of(CudaVersion.parse(env.trim(), "BNB_CUDA_VERSION"));
    }

    private static Properties readShippedProperties() {
        Properties p = new Properties();
        // Beside libbnb_cpu and the JNI library, in this package's platform folder.
        String name = Loader.getPlatform() + "/bnb-natives.properties";
        try (InputStream in = NativeLoader.class.getResourceAsStream(name)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            LOG.warn("bnb4j: cannot read bnb-natives.properties: {}", e.toString());
        }
        return p;
    }

    private static Map<CudaVersion, Path> externalCudaBuilds() {
        String dir = System.getProperty(NATIVE_DIR_PROPERTY, System.getenv(NATIVE_DIR_ENV));
        Map<CudaVersion, Path> found = new LinkedHashMap<>();
        if (dir == null || dir.isBlank()) {
            return found;
        }
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            files.forEach(f -> {
                Matcher m = CUDA_LIBRARY.matcher(f.getFileName().toString());
                if (m.matches()) {
                    found.put(CudaVersion.parse(m.group(1)), f.toAbsolutePath());
                }
            });
        } catch (IOException e) {
            LOG.warn("bnb4j: cannot list {}={}: {}", NATIVE_DIR_ENV, dir, e.toString());
        }
        return found;
    }

    private static String extractShipped(String fileName) throws IOException {
        File f = Loader.cacheResource(NativeLoader.class, Loader.getPlatform() + "/" + fileName);
        if (f == null) {
            throw new IOException(fileName + " is listed in bnb-natives.properties but missing from the jar");
        }
        return f.getAbsolutePath();
    }

    /** Reads the driver and the GPUs through libbnb_cpu's dlopen-based probe. */
    record DriverProbe(Optional<CudaVersion> driverVersion, List<GpuInfo> gpus) {
        static DriverProbe run() {
            int[] version = new int[1];
            int[] count = new int[1];
            if (BnbC.bnb_cuda_probe_driver(version, count) != BnbC.BNB_OK || version[0] == 0) {
                return new DriverProbe(Optional.empty(), List.of());
            }
            List<GpuInfo> gpus = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                int[] major = new int[1];
                int[] minor = new int[1];
                long[] total = new long[1];
                byte[] name = new byte[256];
                if (BnbC.bnb_cuda_probe_device(i, major, minor, total, name, name.length) == BnbC.BNB_OK) {
                    int len = 0;
                    while (len < name.length && name[len] != 0) {
                        len++;
                    }
                    gpus.add(new GpuInfo(i, new String(Arrays.copyOf(name, len)), major[0], minor[0], total[0]));
                }
            }
            return new DriverProbe(Optional.of(CudaVersion.fromDriverInt(version[0])), List.copyOf(gpus));
        }
    }
}
