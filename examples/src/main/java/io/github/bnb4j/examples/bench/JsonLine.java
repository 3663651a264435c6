package io.github.bnb4j.examples.bench;

import java.util.Locale;

/** Builds one benchmark result as a JSON object on one line, fields in insertion order. */
final class JsonLine {
    private final StringBuilder sb = new StringBuilder("{");

    JsonLine put(String key, String value) {
        return raw(key, "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    JsonLine put(String key, long value) {
        return raw(key, Long.toString(value));
    }

    JsonLine put(String key, double value) {
        return raw(key, Double.isFinite(value) ? String.format(Locale.ROOT, "%.6g", value) : "null");
    }

    JsonLine put(String key, boolean value) {
        return raw(key, Boolean.toString(value));
    }

    private JsonLine raw(String key, String json) {
        if (sb.length() > 1) {
            sb.append(',');
        }
        sb.append('"').append(key).append("\":").append(json);
        return this;
    }

    @Override
    public String toString() {
        return sb + "}";
    }
}
