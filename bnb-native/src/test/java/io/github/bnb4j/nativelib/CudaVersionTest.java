package io.github.bnb4j.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CudaVersionTest {

    @ParameterizedTest(name = "\"{0}\" -> {1}.{2}")
    @CsvSource({
        "130, 13, 0",
        "118, 11, 8",
        "124, 12, 4",
        "1210, 12, 10",
        "13.0, 13, 0",
        "12.8, 12, 8",
        "12.10, 12, 10",
        "13.0.2, 13, 0",
        "' 130 ', 13, 0",
    })
    void parsesSuffixAndDottedForms(String text, int major, int minor) {
        assertEquals(new CudaVersion(major, minor), CudaVersion.parse(text));
    }

    @ParameterizedTest(name = "\"{0}\" is rejected")
    @ValueSource(strings = {"12.x", "", "  ", "13", "1", "abc", "13.", ".0", "13_0", "000", "0.0", "-13.0",
        "123456", "13.0.2.1"})
    void rejectsMalformedText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaVersion.parse(text));
        assertTrue(e.getMessage().contains("got \"" + text + "\""), e.getMessage());
    }

    @Test
    void errorMessageNamesTheSourceTheValueAndTheAllowedForms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaVersion.parse("12.x", "BNB_CUDA_VERSION"));
        assertEquals("BNB_CUDA_VERSION must be digits like 130 for CUDA 13.0 (two-digit major, then the minor) "
                + "or dotted like 13.0, got \"12.x\"", e.getMessage());
    }

    @Test
    void rejectsNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CudaVersion.parse(null));
        assertTrue(e.getMessage().endsWith("got null"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} -> {1}.{2}")
    @CsvSource({"13000, 13, 0", "12080, 12, 8", "11080, 11, 8", "12010, 12, 1", "13020, 13, 2", "12100, 12, 10"})
    void decodesTheDriverInteger(int driverInt, int major, int minor) {
        assertEquals(new CudaVersion(major, minor), CudaVersion.fromDriverInt(driverInt));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 999})
    void rejectsImpossibleDriverIntegers(int driverInt) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaVersion.fromDriverInt(driverInt));
        assertTrue(e.getMessage().contains("like 13000 for CUDA 13.0") && e.getMessage().endsWith("got " + driverInt),
                e.getMessage());
    }

    @ParameterizedTest(name = "{0}.{1} -> \"{2}\"")
    @CsvSource({"13, 0, 130", "11, 8, 118", "12, 10, 1210", "9, 2, 092"})
    void suffixRoundTripsThroughParse(int major, int minor, String suffix) {
        CudaVersion version = new CudaVersion(major, minor);
        assertEquals(suffix, version.suffix());
        assertEquals(version, CudaVersion.parse(version.suffix()));
    }

    @Test
    void ordersByMajorThenMinor() {
        List<CudaVersion> versions = new ArrayList<>(List.of(CudaVersion.parse("130"), CudaVersion.parse("1210"),
                CudaVersion.parse("118"), CudaVersion.parse("128"), CudaVersion.parse("12.1")));
        versions.sort(null);
        assertEquals("[11.8, 12.1, 12.8, 12.10, 13.0]", versions.toString());
    }

    @Test
    void rejectsNegativeComponents() {
        assertThrows(IllegalArgumentException.class, () -> new CudaVersion(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CudaVersion(12, -1));
    }
}
