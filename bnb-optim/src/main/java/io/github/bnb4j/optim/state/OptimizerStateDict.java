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
import io.github.bnb4j.core.safetensors.TensorInfo;

/**
 * An optimizer checkpoint in memory: string metadata and named CPU tensors (see {@link StateDictKeys}), saved
 * as one safetensors file. Writing is deterministic, so the same state always gives the same bytes. Owns its
 * tensors: close it when done.
 *
 * <p>Size limit: {@link #save(Path)} and {@link #load(Path)} handle tensors of up to {@link #MAX_TENSOR_BYTES}
 * each (2 GiB − 1, what one {@link java.nio.ByteBuffer} holds), so the 32-bit state of a parameter of 2<sup>29</sup>
 * or more elements cannot be written to a file yet; they refuse such a tensor with an
 * {@link UnsupportedOperationException} before writing or reading anything, never truncate it.
 * The in-memory {@link io.github.bnb4j.optim.Optimizer#stateDict()} has no limit but that same one for its
 * range checks at {@code loadStateDict}.
 */
public final class OptimizerStateDict implements AutoCloseable {
    /** The largest tensor, in bytes, that a checkpoint file can hold here. */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;

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
     * @throws NullPointerException          if {@code file} is null
     * @throws IOException                   if the file cannot be read or is not a valid safetensors file
     * @throws UnsupportedOperationException if a tensor is larger than {@link #MAX_TENSOR_BYTES}
     */
    public static OptimizerStateDict load(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (String name : reader.names()) {
                requireStorable(name, reader.info(name).byteLength());
            }
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                tensors.put(name, TensorScope.detach(Tensor.fromBuffer(reader.bytes(name), info.dtype(),
                        Device.cpu(), info.shape())));
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
     * @throws NullPointerException          if {@code file} is null
     * @throws IOException                   if writing fails
     * @throws IllegalStateException         if this checkpoint is closed
     * @throws UnsupportedOperationException if a tensor is larger than {@link #MAX_TENSOR_BYTES}; nothing is written
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        tensors.forEach((name, t) -> requireStorable(name, t.byteSize()));
        SafetensorsWriter writer = new SafetensorsWriter();
        metadata.forEach(writer::metadata);
        tensors.forEach((name, t) -> writer.add(name, t.dtype(), t.shape(), t.asByteBuffer()));
        writer.write(file);
    }

    private static void requireStorable(String name, long bytes) {
        if (bytes > MAX_TENSOR_BYTES) {
            throw new UnsupportedOperationException("checkpoint tensor '" + name + "' is " + bytes + " bytes; "
                    + "optimizer checkpoint files hold tensors of at most " + MAX_TENSOR_BYTES + " bytes (2 GiB - 1)");
        }
    }

    /** Frees the tensors; idempotent. */
    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
    }
}
