package io.github.bnb4j.optim.state;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;

/**
 * An optimizer checkpoint in memory: string metadata and named CPU tensors (see {@link StateDictKeys}), saved
 * as one safetensors file. Writing is deterministic, so the same state always gives the same bytes. Owns its
 * tensors: close it when done.
 *
 * <p>Tensors of any size are written and read in chunks, 2 GiB and more included (the 32-bit state of a parameter
 * of 2<sup>29</sup> elements or more).
 */
public final class OptimizerStateDict implements AutoCloseable {
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;

    private OptimizerStateDict(Map<String, String> metadata, Map<String, Tensor> tensors) {
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /**
     * A checkpoint of the given entries, in the given order; takes ownership of the tensors.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a tensor is not on the CPU
     */
    public static OptimizerStateDict of(Map<String, String> metadata, Map<String, Tensor> tensors) {
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(tensors, "tensors");
        tensors.forEach((name, t) -> {
            if (!t.device().isCpu()) {
                throw new IllegalArgumentException("tensor '" + name + "' must be on the CPU, got " + t.device());
            }
        });
        return new OptimizerStateDict(new LinkedHashMap<>(metadata), new LinkedHashMap<>(tensors));
    }

    /**
     * Reads a file written by {@link #save(Path)}.
     *
     * @throws NullPointerException if {@code file} is null
     * @throws IOException          if the file cannot be read or is not a valid safetensors file
     */
    public static OptimizerStateDict load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                tensors.put(name, TensorScope.detach(reader.read(name, Device.cpu())));
            }
            return new OptimizerStateDict(new LinkedHashMap<>(reader.metadata()), tensors);
        } catch (IOException | RuntimeException e) {
            tensors.values().forEach(Tensor::close);
            throw e;
        }
    }

    /** The metadata, in order; unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensors, in order; unmodifiable; valid until {@link #close()}. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * Writes the checkpoint to one safetensors file, atomically (a temporary file, then a rename).
     *
     * @throws NullPointerException  if {@code file} is null
     * @throws IOException           if writing fails
     * @throws IllegalStateException if this checkpoint is closed
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        SafetensorsWriter writer = new SafetensorsWriter();
        metadata.forEach(writer::metadata);
        tensors.forEach(writer::add);
        writer.write(file);
    }

    /** Frees the tensors; idempotent. */
    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
    }
}
