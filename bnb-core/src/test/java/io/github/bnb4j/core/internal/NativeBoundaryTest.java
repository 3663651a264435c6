package io.github.bnb4j.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The one native boundary: outside the facades of {@code io.github.bnb4j.core.internal}, no main source of bnb-core
 * (nor of the modules beside it) names the generated binding {@code BnbC} or {@code NativeStatus}.
 */
class NativeBoundaryTest {
    private static final Path ROOT = Path.of("..");
    private static final Pattern BINDING = Pattern.compile("\\b(BnbC|NativeStatus)\\b");
    private static final Path FACADES = Path.of("bnb-core", "src", "main", "java", "io", "github", "bnb4j", "core",
            "internal");

    @Test
    void onlyTheInternalFacadesCallTheBinding() throws IOException {
        assumeTrue(Files.isDirectory(ROOT.resolve(FACADES)), "the sources are not beside this module");
        List<String> offenders;
        try (Stream<Path> files = Stream.of("bnb-core", "bnb-optim", "bnb-nn", "examples")
                .map(m -> ROOT.resolve(m).resolve("src").resolve("main"))
                .filter(Files::isDirectory)
                .flatMap(NativeBoundaryTest::walk)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !ROOT.relativize(f).startsWith(FACADES))
                    .filter(f -> BINDING.matcher(read(f)).find())
                    .map(f -> ROOT.relativize(f).toString())
                    .sorted()
                    .toList();
        }
        assertEquals(List.of(), offenders, "these files reach the native binding outside core.internal's facades");
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
