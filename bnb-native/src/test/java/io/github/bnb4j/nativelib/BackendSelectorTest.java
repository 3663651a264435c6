package io.github.bnb4j.nativelib;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BackendSelectorTest {

    private static final ComputeCapability H200 = new ComputeCapability(9, 0);
    private static final ComputeCapability PASCAL = new ComputeCapability(6, 1);
    private static final ComputeCapability VOLTA = new ComputeCapability(7, 0);
    private static final ComputeCapability TURING = new ComputeCapability(7, 5);

    /** One row of the table: the input, and what the selection must be. */
    record Case(Environment env, List<CudaVersion> shipped, Backend kind, String build, boolean fallback,
            List<String> reasonMentions) {
    }

    static Stream<Arguments> cases() {
        List<CudaVersion> only130 = builds("130");
        return Stream.of(
                row("forced cpu wins over a usable GPU",
                        new Case(new Environment(true, Optional.empty(), driver("13.0"), 1, List.of(H200)), only130,
                                Backend.CPU, null, false, List.of("BNB_BACKEND=cpu"))),
                row("forced cpu ignores even an override naming no shipped build",
                        new Case(new Environment(true, version("124"), driver("13.0"), 1, List.of(H200)), only130,
                                Backend.CPU, null, false, List.of("BNB_BACKEND=cpu"))),
                row("no driver",
                        new Case(gpus(Optional.empty()), only130, Backend.CPU, null, true,
                                List.of("no CUDA driver/GPU found", "install the NVIDIA driver", "BNB_BACKEND=cpu"))),
                row("driver but no device",
                        new Case(new Environment(false, Optional.empty(), driver("13.0"), 0, List.of()), only130,
                                Backend.CPU, null, true,
                                List.of("no CUDA driver/GPU found", "CUDA 13.0", "reports no device",
                                        "CUDA_VISIBLE_DEVICES"))),
                row("exact match",
                        new Case(gpus(driver("13.0"), H200), only130, Backend.CUDA, "130", false,
                                List.of("CUDA 13.0 build matches the driver's CUDA 13.0", "1 GPU: cc 9.0"))),
                row("driver of a newer minor than every build",
                        new Case(gpus(driver("13.2"), H200), only130, Backend.CUDA, "130", false,
                                List.of("newest shipped CUDA 13 build", "CUDA 13.2 is newer"))),
                row("highest minor not above the driver",
                        new Case(gpus(driver("12.9"), H200), builds("130", "128", "124", "126"), Backend.CUDA,
                                "128", false, List.of("CUDA 12.8 build", "CUDA 12.9"))),
                row("a newer minor of the same major is skipped",
                        new Case(gpus(driver("12.6"), H200), builds("124", "128", "130"), Backend.CUDA, "124",
                                false, List.of("not above the driver's CUDA 12.6", "no 12.6 build is shipped"))),
                row("unsorted and duplicated shipped list",
                        new Case(gpus(driver("12.8"), H200), builds("128", "118", "128", "124"), Backend.CUDA,
                                "128", false, List.of("matches"))),
                row("driver older than every build",
                        new Case(gpus(driver("13.0"), H200), builds("132", "134"), Backend.CPU, null, true,
                                List.of("the driver supports CUDA 13.0", "needs CUDA 13.2",
                                        "update the NVIDIA driver to one supporting CUDA 13.2",
                                        "BNB_CUDA_VERSION=132", "cmake", "BNB_NATIVE_DIR"))),
                row("driver of an older major than every build",
                        new Case(gpus(driver("12.8"), H200), only130, Backend.CPU, null, true,
                                List.of("the driver supports CUDA 12.8", "no shipped build is for CUDA 12",
                                        "shipped: [13.0]", "update the NVIDIA driver to one supporting CUDA 13.0",
                                        "cmake"))),
                row("driver of a newer major than every build",
                        new Case(gpus(driver("14.0"), H200), builds("128", "130"), Backend.CPU, null, true,
                                List.of("no shipped build is for CUDA 14", "BNB_CUDA_VERSION=130", "cmake"))),
                row("no CUDA build shipped at all",
                        new Case(gpus(driver("13.0"), H200), List.of(), Backend.CPU, null, true,
                                List.of("ships no CUDA build", "cmake -S csrc -B build"))),
                row("GPU older than sm_75",
                        new Case(gpus(driver("13.0"), PASCAL), only130, Backend.CPU, null, true,
                                List.of("the GPU has compute capability 6.1", "need compute capability 7.5"))),
                row("every GPU older than sm_75",
                        new Case(gpus(driver("13.0"), PASCAL, VOLTA), only130, Backend.CPU, null, true,
                                List.of("all 2 GPUs", "(6.1, 7.0)", "7.5"))),
                row("a GPU of exactly 7.5 is supported",
                        new Case(gpus(driver("13.0"), TURING), only130, Backend.CUDA, "130", false,
                                List.of("cc 7.5"))),
                row("mixed GPUs where one is at least 7.5",
                        new Case(gpus(driver("13.0"), PASCAL, H200), only130, Backend.CUDA, "130", false,
                                List.of("2 GPUs: cc 6.1, 9.0", "GPU 0 (cc 6.1) is below 7.5"))),
                row("unknown capabilities do not block the GPU",
                        new Case(new Environment(false, Optional.empty(), driver("13.0"), 2, List.of()), only130,
                                Backend.CUDA, "130", false, List.of("2 GPUs"))),
                row("override of a shipped build newer than the driver",
                        new Case(new Environment(false, version("132"), driver("13.0"), 1, List.of(H200)),
                                builds("130", "132"), Backend.CUDA, "132", false,
                                List.of("BNB_CUDA_VERSION", "overriding automatic selection",
                                        "newer than the driver's CUDA 13.0"))),
                row("override of an older shipped build",
                        new Case(new Environment(false, version("12.8"), driver("13.2"), 1, List.of(H200)),
                                builds("128", "130", "132"), Backend.CUDA, "128", false,
                                List.of("CUDA 12.8 build chosen by BNB_CUDA_VERSION", "unset it"))),
                row("override without a driver still falls back",
                        new Case(new Environment(false, version("130"), Optional.empty(), 0, List.of()), only130,
                                Backend.CPU, null, true, List.of("no CUDA driver/GPU found"))),
                row("override cannot run on a GPU older than sm_75",
                        new Case(new Environment(false, version("130"), driver("13.0"), 1, List.of(VOLTA)), only130,
                                Backend.CPU, null, true, List.of("7.0", "7.5"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void selects(String name, Case c) {
        Selection s = BackendSelector.select(c.env(), c.shipped());
        assertAll(
                () -> assertEquals(c.kind(), s.kind(), s.reason()),
                () -> assertEquals(Optional.ofNullable(c.build()).map(CudaVersion::parse), s.build(), s.reason()),
                () -> assertEquals(c.fallback(), s.fallback(), s.reason()),
                () -> c.reasonMentions().forEach(part -> assertTrue(s.reason().contains(part),
                        "reason should mention \"" + part + "\": " + s.reason())),
                () -> assertFalse(s.reason().contains("\n"), "one log line: " + s.reason()));
    }

    @Test
    void overrideNamingNoShippedBuildIsAnError() {
        Environment env = new Environment(false, version("124"), driver("13.0"), 1, List.of(H200));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendSelector.select(env, builds("130")));
        assertTrue(e.getMessage().startsWith(
                "BNB_CUDA_VERSION=124 (or -Dbnb.cuda.version) names no shipped build; shipped: [130]; "),
                e.getMessage());
        assertTrue(e.getMessage().contains("build csrc for CUDA 12.4 with cmake"), e.getMessage());
    }

    @Test
    void overrideNamingNoShippedBuildIsAnErrorEvenWithoutAGpu() {
        Environment env = new Environment(false, version("130"), Optional.empty(), 0, List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendSelector.select(env, List.of()));
        assertTrue(e.getMessage().contains("shipped: []"), e.getMessage());
    }

    @Test
    void selectionNamesItsLibrary() {
        assertEquals("bnb_cuda130", BackendSelector.select(gpus(driver("13.0"), H200), builds("130")).libraryName());
        assertEquals("bnb_cpu", BackendSelector.select(gpus(Optional.empty()), builds("130")).libraryName());
    }

    @Test
    void selectionRejectsInconsistentValues() {
        assertThrows(IllegalArgumentException.class, () -> new Selection(Backend.CUDA, Optional.empty(), "x", false));
        assertThrows(IllegalArgumentException.class,
                () -> new Selection(Backend.CPU, version("130"), "x", false));
        assertThrows(IllegalArgumentException.class, () -> new Selection(Backend.CUDA, version("130"), "x", true));
    }

    @Test
    void environmentRejectsANegativeDeviceCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Environment(false, Optional.empty(), Optional.empty(), -1, List.of()));
        assertEquals("deviceCount must be >= 0, got -1", e.getMessage());
    }

    private static Arguments row(String name, Case c) {
        return Arguments.of(name, c);
    }

    /** A machine with the given driver and one device per capability, without user settings. */
    private static Environment gpus(Optional<CudaVersion> driver, ComputeCapability... caps) {
        return new Environment(false, Optional.empty(), driver, caps.length, List.of(caps));
    }

    private static Optional<CudaVersion> driver(String version) {
        return version(version);
    }

    private static Optional<CudaVersion> version(String version) {
        return Optional.of(CudaVersion.parse(version));
    }

    private static List<CudaVersion> builds(String... suffixes) {
        return Arrays.stream(suffixes).map(CudaVersion::parse).toList();
    }
}
