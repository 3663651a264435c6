package io.github.bnb4j.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.junit.jupiter.api.Test;

/** The loader's handling of settings it cannot honour, and the native status mapping, with the real library. */
class NativeLoaderTest {

    @Test
    void aCudaVersionThatIsNotShippedIsAnErrorNotACpuFallback() {
        String before = System.getProperty("bnb.cuda.version");
        System.setProperty("bnb.cuda.version", "124");
        LoadReport r;
        try {
            r = NativeLoader.load();
        } finally {
            if (before == null) {
                System.clearProperty("bnb.cuda.version");
            } else {
                System.setProperty("bnb.cuda.version", before);
            }
        }
        assertTrue(r.cpuLibrary().isPresent(), "libbnb_cpu itself loads: " + r);
        assertFalse(r.cudaAvailable());
        String error = r.configurationError().orElseThrow(() -> new AssertionError("no configuration error: " + r));
        assertTrue(error.startsWith("BNB_CUDA_VERSION=124 (or -Dbnb.cuda.version) names no shipped build"), error);
        BnbException e = assertThrows(BnbException.class, () -> Bnb.requireNativeLibrary(r));
        assertEquals(Status.NO_BACKEND, e.status());
        assertTrue(e.getMessage().contains("BNB_CUDA_VERSION=124"), e.getMessage());
    }

    @Test
    void outOfMemoryStatusesBecomeOutOfDeviceMemoryExceptions() {
        OutOfDeviceMemoryException unknown = assertThrows(OutOfDeviceMemoryException.class,
                () -> NativeStatus.check(BnbC.BNB_ERR_OUT_OF_MEMORY, "a kernel's scratch"));
        assertEquals(OutOfDeviceMemoryException.UNKNOWN, unknown.bytesRequested());
        assertEquals(OutOfDeviceMemoryException.UNKNOWN, unknown.bytesFree());
        assertTrue(unknown.getMessage().contains("(asked for unknown bytes, unknown bytes free)"),
                unknown.getMessage());
        OutOfDeviceMemoryException pinned = assertThrows(OutOfDeviceMemoryException.class,
                () -> NativeStatus.check(BnbC.BNB_ERR_OUT_OF_MEMORY, "pinned", 4096, () -> 17));
        assertEquals(4096, pinned.bytesRequested());
        assertEquals(17, pinned.bytesFree());
        BnbException other = assertThrows(BnbException.class,
                () -> NativeStatus.check(BnbC.BNB_ERR_INVALID_ARGUMENT, "bad"));
        assertFalse(other instanceof OutOfDeviceMemoryException);
        assertEquals(Status.INVALID_ARGUMENT, other.status());
    }
}
