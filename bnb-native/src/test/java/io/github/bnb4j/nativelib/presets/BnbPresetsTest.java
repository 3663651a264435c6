package io.github.bnb4j.nativelib.presets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.javacpp.annotation.Properties;
import org.junit.jupiter.api.Test;

/**
 * JavaCPP parses only the headers the presets list, not what they include: the list must name every family
 * header that {@code bnb/bnb.h} includes, in the same order, then {@code bnb/bnb.h}, or the generated binding
 * silently lacks a family.
 */
class BnbPresetsTest {
    private static final Path UMBRELLA = Path.of("..", "csrc", "include", "bnb", "bnb.h");
    private static final Pattern INCLUDE = Pattern.compile("^#include \"(bnb/[a-z0-9_]+\\.h)\"", Pattern.MULTILINE);

    @Test
    void presetsListEveryFamilyHeaderOfBnbH() throws IOException {
        assumeTrue(Files.isRegularFile(UMBRELLA), "csrc is not beside this module (" + UMBRELLA.toAbsolutePath() + ")");
        List<String> expected = new ArrayList<>();
        Matcher m = INCLUDE.matcher(Files.readString(UMBRELLA));
        while (m.find()) {
            expected.add(m.group(1));
        }
        expected.add("bnb/bnb.h");
        String[] listed = BnbPresets.class.getAnnotation(Properties.class).value()[0].include();
        assertEquals(expected, Arrays.asList(listed),
                "BnbPresets' @Platform include list must equal bnb/bnb.h's includes, in order, then bnb/bnb.h");
    }
}
