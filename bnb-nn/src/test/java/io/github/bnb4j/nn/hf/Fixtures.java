package io.github.bnb4j.nn.hf;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The tiny Llama checkpoints of {@code src/test/resources/models} (see its README). */
public final class Fixtures {
    private Fixtures() {
    }

    /** The folder {@code models/<name>} on the test class path. */
    public static Path model(String name) {
        URL url = Fixtures.class.getResource("/models/" + name + "/config.json");
        if (url == null) {
            throw new IllegalStateException("models/" + name + " must be on the test class path");
        }
        try {
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
