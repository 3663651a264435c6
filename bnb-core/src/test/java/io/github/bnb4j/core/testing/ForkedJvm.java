package io.github.bnb4j.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@code main} class in a new JVM with the test class path, so that a test of something that used to
 * crash the JVM (a segfault in native code, heap corruption) fails instead of killing the build.
 *
 * <pre>{@code
 * ForkedJvm.Result r = ForkedJvm.run(MyReproducer.class, Duration.ofMinutes(2), "arg");
 * assertEquals(0, r.exitCode(), r.output());
 * }</pre>
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /**
     * What the child did.
     *
     * @param exitCode its exit status (134 or 139 for a native crash; -1 if it was killed for the timeout)
     * @param output   its standard output and standard error, interleaved
     */
    public record Result(int exitCode, String output) {
        /** True when the child ended with exit status 0. */
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * Runs {@code mainClass.main(args)} in a child JVM with this JVM's class path,
     * and waits for it.
     *
     * @param mainClass      a class with a {@code public static void main(String[])}
     * @param timeoutSeconds after this, the child is killed and the result's exit code is -1
     * @param args           its arguments
     * @throws UncheckedIOException if the child cannot be started
     */
    public static Result run(Class<?> mainClass, long timeoutSeconds, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        // a crash report belongs in the temporary directory, not in the module being built
        command.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "hs_err_forked_%p.log"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a JVM for " + mainClass.getName(), e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(process.getInputStream(), output), "forked-jvm-output");
        reader.start();
        try {
            boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            reader.join();
            return new Result(finished ? process.exitValue() : -1, output.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + mainClass.getName(), e);
        }
    }

    /** Copies the child's output; the reader thread is joined before {@code sink} is read. */
    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        try (in) {
            in.transferTo(sink);
        } catch (IOException e) {
            sink.writeBytes(("\n[reading the child's output failed: " + e + "]").getBytes(StandardCharsets.UTF_8));
        }
    }
}
