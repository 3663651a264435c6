package io.github.bnb4j.core.safetensors;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.DType;

/**
 * The parsed and validated header of a safetensors file: metadata, tensor entries in file order, and where
 * the data region starts. {@link #read} either returns a header in which every entry is consistent with the
 * file or throws {@link SafetensorsFormatException}.
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors, long dataStart) {
    /** Bytes of the little-endian u64 that precedes the JSON. */
    static final int LENGTH_PREFIX_BYTES = 8;
    /** The key that holds string metadata instead of a tensor. */
    static final String METADATA_KEY = "__metadata__";
    /**
     * The reference implementation refuses headers over 100 MB; so do we, so that a corrupt length cannot
     * make us allocate gigabytes before failing.
     */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /**
     * Reads and validates the header of {@code channel}, which holds the contents of {@code path}.
     *
     * @throws SafetensorsFormatException if the header or an entry is invalid
     * @throws IOException                if reading fails
     */
    static SafetensorsHeader read(Path path, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < LENGTH_PREFIX_BYTES) {
            throw fileError(path, "file is " + fileSize + " bytes, shorter than the 8-byte header length"
                    + " (truncated or not a safetensors file)");
        }
        ByteBuffer prefix = readFully(channel, 0, LENGTH_PREFIX_BYTES);
        long headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        // headerLength is unsigned in the format: a negative long means a length beyond 2^63.
        if (headerLength < 0 || headerLength > fileSize - LENGTH_PREFIX_BYTES) {
            throw fileError(path, "header length " + Long.toUnsignedString(headerLength)
                    + " goes beyond the end of the file (" + fileSize + " bytes; truncated or not a"
                    + " safetensors file)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw fileError(path, "header length " + headerLength + " exceeds the limit of " + MAX_HEADER_BYTES
                    + " bytes");
        }
        String json = decodeUtf8(path, readFully(channel, LENGTH_PREFIX_BYTES, (int) headerLength));
        long dataStart = LENGTH_PREFIX_BYTES + headerLength;
        return parse(path, json, dataStart, fileSize - dataStart);
    }

    private static SafetensorsHeader parse(Path path, String json, long dataStart, long dataLength) {
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.SyntaxException e) {
            throw new SafetensorsFormatException(path + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw fileError(path, "header must be a JSON object, got " + jsonType(root));
        }
        Map<String, String> metadata = Map.of();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = (String) entry.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(path, entry.getValue());
            } else {
                tensors.put(name, parseEntry(path, name, entry.getValue(), dataLength));
            }
        }
        checkNoOverlap(path, tensors.values());
        return new SafetensorsHeader(metadata, Collections.unmodifiableMap(tensors), dataStart);
    }

    private static Map<String, String> parseMetadata(Path path, Object value) {
        if (value == Json.NULL) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> fields)) {
            throw fileError(path, "\"" + METADATA_KEY + "\" must be an object of strings, got " + jsonType(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> field : fields.entrySet()) {
            if (!(field.getValue() instanceof String text)) {
                throw fileError(path, "\"" + METADATA_KEY + "\" value of key \"" + field.getKey()
                        + "\" must be a string, got " + jsonType(field.getValue()));
            }
            metadata.put((String) field.getKey(), text);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseEntry(Path path, String name, Object value, long dataLength) {
        if (!(value instanceof Map<?, ?> fields)) {
            throw tensorError(path, name, "entry must be a JSON object, got " + jsonType(value));
        }
        DType dtype = parseDtype(path, name, requireField(path, name, fields, "dtype"));
        long[] shape = parseLongs(path, name, "shape", requireField(path, name, fields, "shape"), -1);
        long[] offsets = parseLongs(path, name, "data_offsets", requireField(path, name, fields, "data_offsets"), 2);
        for (long d : shape) {
            if (d < 0) {
                throw tensorError(path, name, "shape " + Arrays.toString(shape) + " has a negative dimension");
            }
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < 0) {
            throw tensorError(path, name, "data_offsets " + Arrays.toString(offsets) + " must not be negative");
        }
        if (begin > end) {
            throw tensorError(path, name, "data_offsets " + Arrays.toString(offsets) + " have begin > end");
        }
        if (end > dataLength) {
            throw tensorError(path, name, "data_offsets " + Arrays.toString(offsets)
                    + " go beyond the data region, which is " + dataLength + " bytes");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(TensorInfo.numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw tensorError(path, name, "shape " + Arrays.toString(shape) + " of dtype " + dtype
                    + " has a byte count that overflows 64 bits");
        }
        if (expectedBytes != end - begin) {
            throw tensorError(path, name, "shape " + Arrays.toString(shape) + " of dtype " + dtype + " needs "
                    + expectedBytes + " bytes, but data_offsets " + Arrays.toString(offsets) + " span "
                    + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static Object requireField(Path path, String name, Map<?, ?> fields, String field) {
        Object value = fields.get(field);
        if (value == null) {
            throw tensorError(path, name, "entry has no \"" + field + "\" (needs dtype, shape and data_offsets)");
        }
        return value;
    }

    private static DType parseDtype(Path path, String name, Object value) {
        if (!(value instanceof String dtypeName)) {
            throw tensorError(path, name, "\"dtype\" must be a string, got " + jsonType(value));
        }
        for (DType dtype : DType.values()) {
            if (dtype.safetensorsName().equals(dtypeName)) {
                return dtype;
            }
        }
        throw tensorError(path, name, "unknown dtype \"" + dtypeName + "\"; supported: "
                + Arrays.toString(Arrays.stream(DType.values()).map(DType::safetensorsName).toArray()));
    }

    /** A JSON array of integers; {@code requiredLength < 0} means any length. */
    private static long[] parseLongs(Path path, String name, String field, Object value, int requiredLength) {
        if (!(value instanceof List<?> list)) {
            throw tensorError(path, name, "\"" + field + "\" must be an array of integers, got " + jsonType(value));
        }
        if (requiredLength >= 0 && list.size() != requiredLength) {
            throw tensorError(path, name, "\"" + field + "\" must have " + requiredLength + " elements, got "
                    + list.size());
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long number)) {
                throw tensorError(path, name, "\"" + field + "\" must be an array of integers, but element " + i
                        + " is " + jsonType(list.get(i)));
            }
            out[i] = number;
        }
        return out;
    }

    /**
     * Two tensors must not share a byte, or writing one through a view would change the other. Empty
     * tensors own no byte, so they overlap nothing.
     */
    private static void checkNoOverlap(Path path, Iterable<TensorInfo> tensors) {
        List<TensorInfo> nonEmpty = new ArrayList<>();
        for (TensorInfo t : tensors) {
            if (t.byteLength() > 0) {
                nonEmpty.add(t);
            }
        }
        nonEmpty.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < nonEmpty.size(); i++) {
            TensorInfo previous = nonEmpty.get(i - 1);
            TensorInfo current = nonEmpty.get(i);
            if (current.begin() < previous.end()) {
                throw tensorError(path, current.name(), "byte range [" + current.begin() + ", " + current.end()
                        + ") overlaps tensor '" + previous.name() + "' at [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
        }
    }

    private static String decodeUtf8(Path path, ByteBuffer bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(path + ": header is not valid UTF-8", e);
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                throw new EOFException("file ended while reading " + length + " bytes at offset " + position);
            }
        }
        return buffer.flip();
    }

    private static String jsonType(Object value) {
        if (value instanceof Map) {
            return "an object";
        }
        if (value instanceof List) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Long || value instanceof Double) {
            return "a number (" + value + ")";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return "null";
    }

    private static SafetensorsFormatException fileError(Path path, String problem) {
        return new SafetensorsFormatException(path + ": " + problem);
    }

    private static SafetensorsFormatException tensorError(Path path, String name, String problem) {
        return new SafetensorsFormatException(path + ": tensor '" + name + "': " + problem);
    }
}
