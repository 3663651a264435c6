package io.github.bnb4j.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;

/** A module's state dict to and from a safetensors file ({@link Module#save}, {@link Module#load}). */
final class ModuleFiles {
    private ModuleFiles() {
    }

    static void save(Module module, Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Map<String, Tensor> dict = module.stateDict();
        try {
            SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
            dict.forEach(writer::add);
            writer.write(file);
        } finally {
            dict.values().forEach(Tensor::close);
        }
    }

    static void load(Module module, Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        module.requireOpen();
        Map<String, Tensor> dict = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                dict.put(name, reader.read(name, Device.cpu()));
            }
            module.loadStateDict(dict);
        } finally {
            dict.values().forEach(Tensor::close);
        }
    }
}
