package io.github.bnb4j.optim.reproducers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class in a new JVM with the test class path, so that a reproducer of a JVM crash fails its
 * test instead of killing the build. Minimal; bnb-core's test {@code testing.ForkedJvm} (branch core-data) has
 * the same shape and replaces this one once merged.
 */
final class ForkedJvm {
    private ForkedJvm() {
    }

    /** The child's exit status (134/139 for a native crash, -1 if killed for the timeout) and its output. */
    record Result(int exitCode, String output) {
    }

    static Result run(Class<?> mainClass, long timeoutSeconds, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"),
                "hs_err_forked_%p.log"), "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        try {
            Path log = Files.createTempFile("forked-jvm", ".log");
            try {
                Process process = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (!finished) {
                    process.destroyForcibly().waitFor();
                }
                return new Result(finished ? process.exitValue() : -1,
                        Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run a JVM for " + mainClass.getName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + mainClass.getName(), e);
        }
    }
}
