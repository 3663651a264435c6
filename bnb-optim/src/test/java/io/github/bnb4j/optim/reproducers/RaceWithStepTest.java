package io.github.bnb4j.optim.reproducers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.bnb4j.core.testing.ForkedJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Closing an optimizer, loading a checkpoint into it or closing one of its parameters while another thread steps
 * it must never crash the JVM (issue 13, item 2). {@link RaceWithStep} runs in a forked JVM, so a regression fails
 * this test, not the build.
 */
class RaceWithStepTest {
    private static final long TIMEOUT_SECONDS = 300;

    @ParameterizedTest
    @ValueSource(strings = {"optimizer-close", "load-state-dict"})
    void closeOrLoadDuringAStepOnAnotherThreadIsSafe(String scenario) {
        ForkedJvm.Result r = ForkedJvm.run(RaceWithStep.class, TIMEOUT_SECONDS, scenario);
        assertEquals(0, r.exitCode(), scenario + " in a forked JVM:\n" + r.output());
    }

    @Test
    void parameterCloseDuringAStepOnAnotherThreadIsSafe() {
        ForkedJvm.Result r = ForkedJvm.run(RaceWithStep.class, TIMEOUT_SECONDS, "parameter-close");
        assertEquals(0, r.exitCode(), "parameter-close in a forked JVM:\n" + r.output());
    }
}
