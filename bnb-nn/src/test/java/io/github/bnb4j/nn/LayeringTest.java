package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * bnb-nn's compile dependency on bnb-optim serves one thing, upstream's 32-bit optimizer override of the embeddings
 * (DECISIONS, "nn-embed"): only {@code OptimOverrides} may import {@code io.github.bnb4j.optim}.
 */
class LayeringTest {
    @Test
    void onlyOptimOverridesReachesIntoBnbOptim() throws IOException {
        Path sources = Path.of("src", "main", "java");
        try (Stream<Path> files = Files.walk(sources)) {
            List<String> importing = files.filter(f -> f.toString().endsWith(".java")).filter(f -> {
                try {
                    return Files.readString(f).contains("import io.github.bnb4j.optim");
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).map(f -> f.getFileName().toString()).sorted().toList();
            assertEquals(List.of("OptimOverrides.java"), importing);
        }
    }
}
