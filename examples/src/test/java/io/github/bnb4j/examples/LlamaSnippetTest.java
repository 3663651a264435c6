package io.github.bnb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import io.github.bnb4j.examples.readme.LlamaSnippet;
import org.junit.jupiter.api.Test;

/** The README's Llama example runs on the tiny checkpoint of bnb-nn's test data and streams what it returns. */
class LlamaSnippetTest {
    @Test
    void generatesAndStreamsTheSameTokens() throws IOException {
        Path folder = Path.of("..", "bnb-nn", "src", "test", "resources", "models", "tiny-llama-public");
        StringBuilder printed = new StringBuilder();
        long[][] tokens = LlamaSnippet.generate(folder, new long[] {1, 450, 1014, 1600, 1701}, printed);
        assertEquals(1, tokens.length);
        assertEquals(8, tokens[0].length);
        assertEquals(Arrays.stream(tokens[0]).mapToObj(Long::toString).collect(Collectors.joining(" ")) + " ",
                printed.toString());
    }
}
