package io.github.bnb4j.optim;

import java.util.List;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * Conversions of loosely typed configuration values (upstream's Python values, or the strings of a
 * checkpoint's metadata) to the typed components of {@link ParamOverride}.
 */
final class UpstreamValues {
    private UpstreamValues() {
    }

    static float toFloat(String key, Object value) {
        if (value instanceof Number n) {
            return n.floatValue();
        }
        if (value instanceof String s) {
            try {
                return Float.parseFloat(s.trim());
            } catch (NumberFormatException e) {
                throw wrongType(key, value, "a number");
            }
        }
        throw wrongType(key, value, "a number");
    }

    static int toInt(String key, Object value) {
        long v = toLong(key, value);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw wrongType(key, value, "an int");
        }
        return (int) v;
    }

    static long toLong(String key, Object value) {
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw wrongType(key, value, "an integer");
            }
        }
        throw wrongType(key, value, "an integer");
    }

    static boolean toBoolean(String key, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        if ("true".equals(value) || "false".equals(value)) {
            return Boolean.parseBoolean((String) value);
        }
        throw wrongType(key, value, "true or false");
    }

    static StateBits toStateBits(String key, Object value) {
        if (value instanceof StateBits bits) {
            return bits;
        }
        return StateBits.of(toInt(key, value));
    }

    /** Two or three numbers: an array, a list, or Python's tuple text "(0.9, 0.999)". */
    static float[] floats(String key, Object value) {
        if (value instanceof float[] f) {
            return f.clone();
        }
        if (value instanceof double[] d) {
            float[] out = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                out[i] = (float) d[i];
            }
            return out;
        }
        if (value instanceof List<?> list) {
            float[] out = new float[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = toFloat(key, list.get(i));
            }
            return out;
        }
        if (value instanceof String s) {
            String[] parts = s.replace("(", "").replace(")", "").trim().split(",");
            float[] out = new float[parts.length];
            for (int i = 0; i < parts.length; i++) {
                out[i] = toFloat(key, parts[i]);
            }
            return out;
        }
        throw wrongType(key, value, "a list of numbers");
    }

    private static IllegalArgumentException wrongType(String key, Object value, String expected) {
        return new IllegalArgumentException(key + " must be " + expected + ", got " + value
                + (value == null ? "" : " (" + value.getClass().getSimpleName() + ")"));
    }
}
