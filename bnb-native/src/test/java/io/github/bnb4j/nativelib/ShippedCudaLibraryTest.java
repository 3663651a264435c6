package io.github.bnb4j.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * Checks that each CUDA build the module produced carries machine code for exactly the architectures
 * {@code bnb-natives.properties} promises, plus PTX of the newest one (so future GPUs can JIT it).
 */
class ShippedCudaLibraryTest {

    private static final String PROPERTIES = "/io/github/bnb4j/nativelib/linux-x86_64/bnb-natives.properties";

    @Test
    void everyListedCudaBuildHoldsTheListedArchs() throws Exception {
        URL url = getClass().getResource(PROPERTIES);
        assumeTrue(url != null && "file".equals(url.getProtocol()), "no " + PROPERTIES + " folder on the class path");
        Properties properties = new Properties();
        try (InputStream in = url.openStream()) {
            properties.load(in);
        }
        List<String> builds = csv(properties.getProperty("cuda.builds", ""));
        // CI must build the CUDA backend (nvcc is on its machines); elsewhere a CPU-only build is fine.
        assertFalse(builds.isEmpty() && "true".equals(System.getenv("CI")),
                "CI=true but no CUDA build is listed in " + url + ": was nvcc found by CMake?");
        assumeFalse(builds.isEmpty(), "no CUDA build listed in " + url);
        List<Integer> archs = csv(properties.getProperty("cuda.archs", "")).stream().map(Integer::valueOf).toList();
        assertFalse(archs.isEmpty(), "cuda.archs is empty in " + url);
        Path dir = Path.of(url.toURI()).getParent();

        for (String suffix : builds) {
            Path library = dir.resolve("libbnb_cuda" + suffix + ".so");
            assertTrue(Files.isRegularFile(library), library + " is listed in cuda.builds but missing");
            FatbinContents contents = FatbinInspector.inspect(library);
            assertEquals(new TreeSet<>(archs), contents.realArchs(), library + " machine code");
            int newest = archs.get(archs.size() - 1);
            assertTrue(contents.ptxArchs().contains(newest),
                    library + " should carry PTX for sm_" + newest + ", has " + contents);
        }
    }

    private static List<String> csv(String value) {
        return Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
