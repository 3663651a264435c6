package io.github.bnb4j.core.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.json.Json;

/**
 * Builds a safetensors file: collect metadata and tensors, then {@link #write(Path)}.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .metadata("format", "pt")
 *         .addFloats("weight", new long[] {2, 3}, values)
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>The header lists {@code "__metadata__"} first (when any metadata was given), then the tensors in the
 * order they were added, with data offsets in that same order and no gaps. As in the reference
 * implementation, the JSON is padded with spaces to a multiple of 8 bytes, so the data region starts
 * 8-byte aligned. The output depends only on what was added, so writing the same content twice gives
 * identical bytes.
 *
 * <p>{@link #add} and {@link #addBytes} keep a view of the caller's data, not a copy, to avoid doubling the
 * memory of a large checkpoint: the bytes are read when {@link #write} runs and must not change before then.
 * {@link #add(String, Tensor)} likewise keeps the tensor (of any size and on any device) and copies it out
 * in chunks while writing, so tensors of 2 GiB or more are written without a heap copy; it must stay open
 * until {@link #write} returns. {@link #addFloats} converts, and so copies. Not thread-safe.
 */
public final class SafetensorsWriter {
    /**
     * Heap buffers are written in slices, because the JDK copies a heap buffer handed to a channel into a
     * temporary direct buffer of the same size.
     */
    private static final int WRITE_SLICE_BYTES = 8 << 20;
    private static final int MAX_TEMP_NAME_ATTEMPTS = 100;

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    /** A tensor to write: its header fields and where its bytes come from. */
    private record Pending(DType dtype, long[] shape, long bytes, Source source) {
    }

    /** Writes one tensor's bytes at the channel's position. */
    private interface Source {
        void writeTo(FileChannel channel) throws IOException;
    }

    /**
     * Adds a {@code "__metadata__"} entry; a later call with the same key replaces the value.
     *
     * @return this writer
     * @throws NullPointerException     if key or value is null
     * @throws IllegalArgumentException if key or value is not well-formed UTF-16 (an unpaired surrogate)
     */
    public SafetensorsWriter metadata(String key, String value) {
        requireWellFormed("metadata key", Objects.requireNonNull(key, "key"));
        requireWellFormed("metadata value", Objects.requireNonNull(value, "value"));
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor whose bytes are {@code data}'s remaining bytes, elements in row-major order and each
     * element little-endian. The buffer's position is not changed.
     *
     * @param name  unique tensor name, not {@code "__metadata__"}
     * @param dtype element type
     * @param shape dimensions, each {@code >= 0}; {@code []} for a scalar
     * @param data  exactly {@code numel(shape) * dtype.byteSize()} remaining bytes
     * @return this writer
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is taken, reserved or not well-formed UTF-16, a dimension
     *                                  is negative, the byte count overflows, or {@code data.remaining()} is
     *                                  not the byte count of the shape
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, ByteBuffer data) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        long[] dims = checkedShape(name, shape);
        checkName(name);
        long expected = byteCount(name, dtype, dims);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("data for tensor '" + name + "' must have " + expected
                    + " bytes (shape " + Arrays.toString(dims) + ", dtype " + dtype + "), got "
                    + data.remaining());
        }
        ByteBuffer view = data.slice().asReadOnlyBuffer();
        tensors.put(name, new Pending(dtype, dims, expected, channel -> writeFully(channel, view.duplicate())));
        return this;
    }

    /**
     * Adds a tensor of any size, on any device; its bytes are copied out in chunks when {@link #write} runs,
     * so it must stay open until then.
     *
     * @param name   unique tensor name, not {@code "__metadata__"}
     * @param tensor the tensor; its dtype and shape go to the header
     * @return this writer
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the name is taken, reserved or not well-formed UTF-16
     */
    public SafetensorsWriter add(String name, Tensor tensor) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tensor, "tensor");
        checkName(name);
        long bytes = tensor.byteSize();
        tensors.put(name, new Pending(tensor.dtype(), tensor.shape(), bytes, channel -> {
            ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(WRITE_SLICE_BYTES, Math.max(bytes, 1)));
            for (long done = 0; done < bytes; ) {
                int n = (int) Math.min(chunk.capacity(), bytes - done);
                chunk.clear().limit(n);
                tensor.copyToHost(done, chunk);
                writeFully(channel, chunk.flip());
                done += n;
            }
        }));
        return this;
    }

    /**
     * Adds an F32 tensor.
     *
     * @param name   unique tensor name, not {@code "__metadata__"}
     * @param shape  dimensions, each {@code >= 0}; {@code []} for a scalar
     * @param values exactly {@code numel(shape)} values, row-major
     * @return this writer
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as for {@link #add}, or if {@code values.length != numel(shape)}
     */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] values) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(values, "values");
        long[] dims = checkedShape(name, shape);
        long numel = byteCount(name, DType.F32, dims) / DType.F32.byteSize();
        if (values.length != numel) {
            throw new IllegalArgumentException("values for tensor '" + name + "' must have " + numel
                    + " elements (shape " + Arrays.toString(dims) + "), got " + values.length);
        }
        if (values.length > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("values for tensor '" + name + "' must fit one ByteBuffer (at most "
                    + Integer.MAX_VALUE / Float.BYTES + " floats), got " + values.length);
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return add(name, DType.F32, dims, bytes);
    }

    /**
     * Adds a tensor of any dtype from its raw little-endian bytes.
     *
     * @param name  unique tensor name, not {@code "__metadata__"}
     * @param dtype element type
     * @param shape dimensions, each {@code >= 0}; {@code []} for a scalar
     * @param data  exactly {@code numel(shape) * dtype.byteSize()} bytes
     * @return this writer
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException as for {@link #add}
     */
    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, byte[] data) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        return add(name, dtype, shape, ByteBuffer.wrap(data));
    }

    /**
     * Writes the file. The bytes go to a temporary file in the target's directory, which is forced to disk
     * and then renamed over {@code target} (atomically where the file system can), so a crash never leaves a
     * half-written file under the target name.
     *
     * @param target the file to create or replace
     * @throws IOException if writing, syncing or renaming fails; the temporary file is removed
     */
    public void write(Path target) throws IOException {
        Path absolute = Objects.requireNonNull(target, "target").toAbsolutePath();
        Path directory = absolute.getParent();
        Path temporary = createTemporary(directory, absolute.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                writeFully(channel, ByteBuffer.wrap(header()));
                for (Pending tensor : tensors.values()) {
                    tensor.source().writeTo(channel);
                }
                channel.force(true);
            }
            moveIntoPlace(temporary, absolute);
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(temporary);
            }
        }
        syncDirectory(directory);
    }

    /** The 8-byte length prefix and the padded JSON header, exactly as {@link #write} writes them. */
    byte[] header() {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.appendQuoted(json, SafetensorsHeader.METADATA_KEY);
            json.append(":{");
            String separator = "";
            for (Map.Entry<String, String> entry : metadata.entrySet()) {
                json.append(separator);
                Json.appendQuoted(json, entry.getKey());
                json.append(':');
                Json.appendQuoted(json, entry.getValue());
                separator = ",";
            }
            json.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Pending> entry : tensors.entrySet()) {
            Pending tensor = entry.getValue();
            long end = offset + tensor.bytes();
            if (json.length() > 1) {
                json.append(',');
            }
            Json.appendQuoted(json, entry.getKey());
            json.append(":{\"dtype\":\"").append(tensor.dtype().safetensorsName()).append("\",\"shape\":[");
            for (int i = 0; i < tensor.shape().length; i++) {
                json.append(i == 0 ? "" : ",").append(tensor.shape()[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] utf8 = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(SafetensorsHeader.LENGTH_PREFIX_BYTES + padded)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(utf8);
        while (out.hasRemaining()) {
            out.put((byte) ' ');
        }
        return out.array();
    }

    private void checkName(String name) {
        requireWellFormed("tensor name", name);
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("tensor name must not be \"" + SafetensorsHeader.METADATA_KEY
                    + "\", which the format reserves for metadata");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor name must be unique, got '" + name + "' twice");
        }
    }

    private static long[] checkedShape(String name, long[] shape) {
        long[] dims = Objects.requireNonNull(shape, "shape").clone();
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape of tensor '" + name + "' must have dimensions >= 0, got "
                        + Arrays.toString(dims));
            }
        }
        return dims;
    }

    private static long byteCount(String name, DType dtype, long[] shape) {
        try {
            return Shapes.byteSize(shape, dtype);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of tensor '" + name
                    + "' has a byte count that overflows 64 bits", e);
        }
    }

    /** Unpaired surrogates cannot be encoded as UTF-8; Java would silently write '?' instead. */
    private static void requireWellFormed(String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " must be well-formed UTF-16, but \"" + s
                        + "\" has an unpaired surrogate at index " + i);
            }
        }
    }

    /**
     * A fresh file next to the target. Not {@link Files#createTempFile}, because that makes the file
     * owner-only on POSIX, and the rename would carry those permissions over to the result.
     */
    private static Path createTemporary(Path directory, String targetName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path candidate = directory.resolve("." + targetName + "." + Long.toHexString(
                    ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= MAX_TEMP_NAME_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            ByteBuffer slice = data.slice();
            slice.limit(Math.min(slice.remaining(), WRITE_SLICE_BYTES));
            int written = channel.write(slice);
            data.position(data.position() + written);
        }
    }

    private static void moveIntoPlace(Path temporary, Path target) throws IOException {
        try {
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Makes the rename itself durable on POSIX systems. Opening a directory fails on some platforms
     * (Windows), where this step is neither possible nor needed, so failure is ignored.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort, see above
        }
    }
}
