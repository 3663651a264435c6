package io.github.bnb4j.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.safetensors.SafetensorsReader;

/**
 * Outputs of upstream bitsandbytes 0.50.2.dev0 on an H200, shipped as a test resource
 * ({@code bnb-reference-public.safetensors}). Opened once per JVM.
 */
public final class ReferenceVectors {
    private static SafetensorsReader reader;

    private ReferenceVectors() {
    }

    /** The shared reader. */
    public static synchronized SafetensorsReader reader() {
        if (reader == null) {
            URL url = ReferenceVectors.class.getResource("/bnb-reference-public.safetensors");
            if (url == null) {
                throw new IllegalStateException("bnb-reference-public.safetensors is not on the test class path");
            }
            try {
                reader = SafetensorsReader.open(localPath(url));
            } catch (URISyntaxException | IOException e) {
                throw new IllegalStateException("cannot open the reference vectors", e);
            }
        }
        return reader;
    }

    /** The file itself, or a temporary copy when it sits inside a jar (as in the GPU bundle). */
    private static Path localPath(URL url) throws URISyntaxException, IOException {
        if ("file".equals(url.getProtocol())) {
            return Path.of(url.toURI());
        }
        Path copy = Files.createTempFile("bnb-reference", ".safetensors");
        copy.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    /** Values of a float entry (F32, F16 or BF16), widened to float. */
    public static float[] floats(String name) {
        return reader().readFloats(name);
    }

    /** Bytes of a U8 entry. */
    public static byte[] bytes(String name) {
        return reader().readBytes(name);
    }

    /** The entry as a new tensor on {@code device}, in its own dtype. */
    public static Tensor tensor(String name, Device device) {
        var info = reader().info(name);
        return Tensor.fromBuffer(reader().bytes(name), info.dtype(), device, info.shape());
    }

    /** The dtype of an entry. */
    public static DType dtype(String name) {
        return reader().info(name).dtype();
    }
}
