package io.github.bnb4j.core.internal.json;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes JSON exactly as Python's {@code json.dumps(obj)} does with its defaults (separators {@code ", "}
 * and {@code ": "}, {@code ensure_ascii=True}, floats as {@code repr(float)}), so that blobs upstream
 * bitsandbytes stores as bytes (the 4-bit {@code quant_state}) come out byte for byte the same. Internal.
 */
public final class PythonJson {
    private PythonJson() {
    }

    /**
     * The JSON text of {@code value}: a {@link Map} with String keys (in its iteration order), a {@link List},
     * a {@link String}, an {@link Integer} or {@link Long}, a {@link Double} or {@link Float} (written as the
     * Python float of the same value), a {@link Boolean}, or {@link Json#NULL}.
     *
     * @throws NullPointerException     if {@code value} or a nested value is null
     * @throws IllegalArgumentException if a value has another type, or a float is NaN or infinite
     */
    public static String dumps(Object value) {
        StringBuilder out = new StringBuilder();
        append(out, value);
        return out.toString();
    }

    private static void append(StringBuilder out, Object value) {
        Objects.requireNonNull(value, "value");
        if (value instanceof Map<?, ?> map) {
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(separator);
                quote(out, (String) e.getKey());
                out.append(": ");
                append(out, e.getValue());
                separator = ", ";
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ", ");
                append(out, list.get(i));
            }
            out.append(']');
        } else if (value instanceof String s) {
            quote(out, s);
        } else if (value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(floatRepr(((Number) value).doubleValue()));
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value == Json.NULL) {
            out.append("null");
        } else {
            throw new IllegalArgumentException("value must be a map, list, string, number, boolean or Json.NULL,"
                    + " got " + value.getClass().getName());
        }
    }

    /**
     * Python's {@code repr(x)} of a finite double: the shortest decimal that reads back as {@code x}, in
     * positional notation when its decimal exponent is in [-4, 16), else as {@code d.ddde+XX}.
     *
     * @throws IllegalArgumentException if {@code x} is NaN or infinite (json.dumps would write a non-JSON
     *                                  token)
     */
    public static String floatRepr(double x) {
        if (!Double.isFinite(x)) {
            throw new IllegalArgumentException("x must be finite, got " + x);
        }
        if (x == 0) {
            return (1 / x < 0) ? "-0.0" : "0.0";
        }
        BigDecimal shortest = shortestDecimal(x);
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale(); // of the first digit
        String sign = x < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = shortest.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                + Math.abs(exponent);
    }

    /** The shortest correctly rounded decimal that converts back to {@code x} (JDK 17's toString is not). */
    private static BigDecimal shortestDecimal(double x) {
        BigDecimal exact = new BigDecimal(x);
        for (int precision = 1; precision < 17; precision++) {
            BigDecimal candidate = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == x) {
                return candidate.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }

    /** A string literal with Python's escapes; with {@code ensure_ascii} every non-ASCII char is {@code \\uXXXX}. */
    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
