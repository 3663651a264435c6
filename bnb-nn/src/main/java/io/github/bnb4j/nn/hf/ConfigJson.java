package io.github.bnb4j.nn.hf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.github.bnb4j.core.internal.json.Json;

/**
 * A parsed JSON object of a checkpoint folder ({@code config.json}, its {@code quantization_config}, an index) with
 * typed getters whose errors name the file, the key and the value.
 */
public final class ConfigJson {
    private final Path file;
    private final String prefix;
    private final Map<String, Object> values;

    private ConfigJson(Path file, String prefix, Map<String, Object> values) {
        this.file = file;
        this.prefix = prefix;
        this.values = values;
    }

    /**
     * Reads and parses a JSON object file.
     *
     * @throws CheckpointException if the file is missing, is not valid JSON or is not an object
     * @throws IOException         if reading fails otherwise
     */
    public static ConfigJson read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found", e);
        }
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(file, "not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, "expected a JSON object, found " + describe(parsed));
        }
        return new ConfigJson(file, "", cast(map));
    }

    /** The file this object was read from. */
    public Path file() {
        return file;
    }

    /** Whether {@code key} is present and not JSON null. */
    public boolean has(String key) {
        Object v = values.get(key);
        return v != null && v != Json.NULL;
    }

    /** The keys of this object, in file order. */
    public List<String> keys() {
        return new ArrayList<>(values.keySet());
    }

    /**
     * The nested object at {@code key}, if present and not null.
     *
     * @throws CheckpointException if the value is not an object
     */
    public Optional<ConfigJson> object(String key) {
        if (!has(key)) {
            return Optional.empty();
        }
        Object v = values.get(key);
        if (!(v instanceof Map<?, ?> map)) {
            throw wrongType(key, "an object", v);
        }
        return Optional.of(new ConfigJson(file, prefix + key + ".", cast(map)));
    }

    /**
     * An integer value.
     *
     * @throws CheckpointException if the key is missing, or the value is not an integer in int range
     */
    public int requireInt(String key) {
        Object v = require(key);
        if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
            return l.intValue();
        }
        throw wrongType(key, "an integer", v);
    }

    /** An integer value, or {@code fallback} when absent or null; wrong types throw as {@link #requireInt}. */
    public int intOr(String key, int fallback) {
        return has(key) ? requireInt(key) : fallback;
    }

    /**
     * A number (integer or not).
     *
     * @throws CheckpointException if the key is missing or the value is not a number
     */
    public double requireDouble(String key) {
        Object v = require(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw wrongType(key, "a number", v);
    }

    /** A number, or {@code fallback} when absent or null; wrong types throw as {@link #requireDouble}. */
    public double doubleOr(String key, double fallback) {
        return has(key) ? requireDouble(key) : fallback;
    }

    /**
     * A string value.
     *
     * @throws CheckpointException if the key is missing or the value is not a string
     */
    public String requireString(String key) {
        Object v = require(key);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, "a string", v);
    }

    /** A string, or {@code fallback} when absent or null; wrong types throw as {@link #requireString}. */
    public String stringOr(String key, String fallback) {
        return has(key) ? requireString(key) : fallback;
    }

    /** A boolean, or {@code fallback} when absent or null; a value of another type throws. */
    public boolean booleanOr(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object v = values.get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "true or false", v);
    }

    /** A list of strings, or an empty list when absent or null; other values throw. */
    public List<String> stringsOr(String key) {
        if (!has(key)) {
            return List.of();
        }
        Object v = values.get(key);
        if (v instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw wrongType(key, "a list of strings", v);
    }

    /**
     * An object of string values (an index's {@code weight_map}).
     *
     * @throws CheckpointException if the key is missing, or a value is not a string
     */
    public Map<String, String> requireStringMap(String key) {
        ConfigJson nested = object(key).orElseThrow(() -> missing(key));
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String k : nested.keys()) {
            out.put(k, nested.requireString(k));
        }
        return out;
    }

    /** A problem with {@code key}'s value, as an exception naming the file and the key. */
    public CheckpointException invalid(String key, String problem) {
        return new CheckpointException(file, prefix + key + ": " + problem);
    }

    private Object require(String key) {
        if (!has(key)) {
            throw missing(key);
        }
        return values.get(key);
    }

    private CheckpointException missing(String key) {
        return new CheckpointException(file, "missing key " + prefix + key);
    }

    private CheckpointException wrongType(String key, String expected, Object v) {
        return new CheckpointException(file, prefix + key + " must be " + expected + ", found " + describe(v));
    }

    private static String describe(Object v) {
        if (v instanceof String s) {
            return "\"" + s + "\"";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?> l) {
            return "a list of " + l.size();
        }
        return String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
