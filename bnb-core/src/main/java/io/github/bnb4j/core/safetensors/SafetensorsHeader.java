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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.internal.json.Json;

/**
 * The parsed and validated header of a safetensors file: metadata, tensor entries in file order, and where
 * the data region starts. {@link #read} either returns a header in which every entry is consistent with the
 * file or throws {@link SafetensorsFormatException}.
 *
 * <p>The entries' byte ranges must tile the data region, as the format requires: sorted by offset they
 * start at 0, each begins where the previous ends, and the last ends at the end of the file. A length
 * field that is a few bytes off (landing in the header's padding) therefore fails here instead of shifting
 * every tensor.
 *
 * @param metadata      the {@code __metadata__} strings
 * @param tensors       entries of a dtype bnb4j knows, in file order
 * @param unknownDtypes for entries of a dtype name bnb4j does not know (a newer format version), that name;
 *                      they are tolerated until read
 * @param names         every entry name, in file order
 * @param dataStart     file offset of the data region
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors,
        Map<String, String> unknownDtypes, Set<String> names, long dataStart) {
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
     * Most entries a header may list. Parsed, an entry costs about 1 KB of heap, so a header within
     * {@link #MAX_HEADER_BYTES} could otherwise need gigabytes; real checkpoints hold thousands.
     */
    static final int MAX_TENSORS = 100_000;
    /** Most dimensions of a shape (PyTorch supports far fewer). */
    static final int MAX_RANK = 64;
    /** Bounds for parsing: 16 JSON values per entry on average, arrays no longer than a shape. */
    private static final Json.Limits JSON_LIMITS = new Json.Limits(64, MAX_RANK, 16L * MAX_TENSORS);

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
            root = Json.parse(json, JSON_LIMITS);
        } catch (Json.SyntaxException e) {
            throw new SafetensorsFormatException(path + ": header is not valid JSON or exceeds the header limits ("
                    + MAX_TENSORS + " tensors, shapes of rank " + MAX_RANK + "): " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw fileError(path, "header must be a JSON object, got " + jsonType(root));
        }
        int tensorCount = entries.size() - (entries.containsKey(METADATA_KEY) ? 1 : 0);
        if (tensorCount > MAX_TENSORS) {
            throw fileError(path, "header lists " + tensorCount + " tensors, more than the limit of "
                    + MAX_TENSORS + " tensors");
        }
        Map<String, String> metadata = Map.of();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> unknownDtypes = new LinkedHashMap<>();
        Set<String> names = new LinkedHashSet<>();
        List<ByteRange> ranges = new ArrayList<>();
        for (Map.Entry<?, ?> entry : entries.entrySet()) {
            String name = (String) entry.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = parseMetadata(path, entry.getValue());
                continue;
            }
            ByteRange range = parseEntry(path, name, entry.getValue(), dataLength, tensors, unknownDtypes);
            ranges.add(range);
            names.add(name);
        }
        checkTiling(path, ranges, dataLength);
        return new SafetensorsHeader(metadata, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(unknownDtypes), Collections.unmodifiableSet(names), dataStart);
    }

    /** One entry's bytes, relative to the data region. */
    private record ByteRange(String name, long begin, long end) {
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

    /** Validates one entry, adds it to {@code tensors} or {@code unknownDtypes}, and returns its byte range. */
    private static ByteRange parseEntry(Path path, String name, Object value, long dataLength,
            Map<String, TensorInfo> tensors, Map<String, String> unknownDtypes) {
        if (!(value instanceof Map<?, ?> fields)) {
            throw tensorError(path, name, "entry must be a JSON object, got " + jsonType(value));
        }
        String dtypeName = parseDtypeName(path, name, requireField(path, name, fields, "dtype"));
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
        DType dtype = knownDtype(dtypeName);
        if (dtype == null) {
            // a dtype of a newer format version: its element size is unknown, so only the range is checked
            unknownDtypes.put(name, dtypeName);
            return new ByteRange(name, begin, end);
        }
        long expectedBytes;
        try {
            expectedBytes = Shapes.byteSize(shape, dtype);
        } catch (IllegalArgumentException e) {
            throw tensorError(path, name, "shape " + Arrays.toString(shape) + " of dtype " + dtype
                    + " has a byte count that overflows 64 bits");
        }
        if (expectedBytes != end - begin) {
            throw tensorError(path, name, "shape " + Arrays.toString(shape) + " of dtype " + dtype + " needs "
                    + expectedBytes + " bytes, but data_offsets " + Arrays.toString(offsets) + " span "
                    + (end - begin));
        }
        tensors.put(name, new TensorInfo(name, dtype, shape, begin, end));
        return new ByteRange(name, begin, end);
    }

    private static Object requireField(Path path, String name, Map<?, ?> fields, String field) {
        Object value = fields.get(field);
        if (value == null) {
            throw tensorError(path, name, "entry has no \"" + field + "\" (needs dtype, shape and data_offsets)");
        }
        return value;
    }

    private static String parseDtypeName(Path path, String name, Object value) {
        if (!(value instanceof String dtypeName)) {
            throw tensorError(path, name, "\"dtype\" must be a string, got " + jsonType(value));
        }
        return dtypeName;
    }

    /** The dtype of a safetensors name, or null for a name bnb4j does not know. */
    private static DType knownDtype(String dtypeName) {
        for (DType dtype : DType.values()) {
            if (dtype.safetensorsName().equals(dtypeName)) {
                return dtype;
            }
        }
        return null;
    }

    /** The names of the dtypes bnb4j reads, for messages. */
    static String knownDtypeNames() {
        return Arrays.toString(Arrays.stream(DType.values()).map(DType::safetensorsName).toArray());
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
     * The format's rule (the reference implementation's {@code validate}): sorted by {@code (begin, end)},
     * each range begins where the previous one ended, the first at 0, and the last ends at the end of the
     * data region. Overlaps, gaps and trailing bytes are all errors.
     */
    private static void checkTiling(Path path, List<ByteRange> ranges, long dataLength) {
        ranges.sort(Comparator.comparingLong(ByteRange::begin).thenComparingLong(ByteRange::end));
        long cursor = 0;
        ByteRange previous = null;
        for (ByteRange r : ranges) {
            if (r.begin() < cursor) {
                throw tensorError(path, r.name(), "byte range [" + r.begin() + ", " + r.end() + ") overlaps tensor '"
                        + previous.name() + "' at [" + previous.begin() + ", " + previous.end() + ")");
            }
            if (r.begin() > cursor) {
                throw tensorError(path, r.name(), "byte range [" + r.begin() + ", " + r.end() + ") leaves a gap"
                        + " after " + (previous == null ? "the start of the data region" : "tensor '"
                        + previous.name() + "', which ends at " + cursor) + " (the tensors must tile the data region)");
            }
            cursor = r.end();
            previous = r;
        }
        if (cursor != dataLength) {
            throw fileError(path, "the tensors cover " + cursor + " bytes of the " + dataLength + "-byte data region;"
                    + " the data region must end where the last tensor ends (a wrong header length or trailing"
                    + " bytes)");
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
