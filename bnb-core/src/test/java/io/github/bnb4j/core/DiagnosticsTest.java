package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.bnb4j.core.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

/**
 * {@code Diagnostics}' exit status, in a forked JVM (the status is the process's): 0 after SUCCESS!, 1 after
 * FAILED, as a script or CI needs (issue 13, newcomer item 2).
 */
class DiagnosticsTest {
    private static final long TIMEOUT_SECONDS = 120;

    @Test
    void exitsZeroWhenEverySelfTestPasses() {
        ForkedJvm.Result r = ForkedJvm.run(Diagnostics.class, TIMEOUT_SECONDS);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("Self-test : cpu") && r.output().strip().endsWith("SUCCESS!"), r.output());
    }

    @Test
    void exitsOneWhenTheNativeLibraryDoesNotLoad() {
        ForkedJvm.Result r = ForkedJvm.run(DiagnosticsWithoutNativeLibrary.class, TIMEOUT_SECONDS);
        assertEquals(1, r.exitCode(), r.output());
        assertTrue(r.output().contains("CPU lib   : NOT LOADED"), r.output());
        assertTrue(r.output().strip().endsWith("FAILED: see the lines above."), r.output());
    }

    /** Diagnostics in a JVM where JavaCPP looks for another platform's binaries, so none loads. */
    public static final class DiagnosticsWithoutNativeLibrary {
        private DiagnosticsWithoutNativeLibrary() {
        }

        public static void main(String[] args) {
            System.setProperty("org.bytedeco.javacpp.platform", "linux-arm64");
            Diagnostics.main(args);
        }
    }
}
