package io.github.bnb4j.core.internal.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser and string quoter, enough for safetensors headers, the 4-bit
 * {@code quant_state} blob, {@code config.json} and checkpoint indexes, so that bnb4j needs no JSON library.
 * Internal: not part of the public API.
 *
 * <p>Values map to Java as: object → unmodifiable {@link LinkedHashMap} (key order kept, duplicate keys
 * rejected), array → unmodifiable {@link List}, string → {@link String}, integer → {@link Long}, number with a
 * fraction or exponent → {@link Double}, {@code true}/{@code false} → {@link Boolean}, {@code null} →
 * {@link #NULL}. Anything RFC 8259 does not allow is rejected, including trailing characters after the value.
 */
public final class Json {
    /** Stands for JSON {@code null}, since {@code null} cannot be stored in the returned maps and lists. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final String text;
    private final Limits limits;
    private int pos;
    private long values;

    private Json(String text, Limits limits) {
        this.text = text;
        this.limits = limits;
    }

    /**
     * Bounds that keep a hostile document from needing much more heap or stack than its length suggests.
     *
     * @param maxDepth         deepest nesting of arrays and objects
     * @param maxArrayElements most elements of one array
     * @param maxValues        most values in the whole document (every object, array, string, number,
     *                         literal and key counts one)
     */
    public record Limits(int maxDepth, int maxArrayElements, long maxValues) {
        /** Nesting up to 64 deep, and no other bound than the text's length. */
        public static final Limits DEFAULT = new Limits(64, Integer.MAX_VALUE, Long.MAX_VALUE);

        /** @throws IllegalArgumentException if a bound is not positive */
        public Limits {
            if (maxDepth < 1 || maxArrayElements < 1 || maxValues < 1) {
                throw new IllegalArgumentException("limits must be positive, got depth " + maxDepth
                        + ", array elements " + maxArrayElements + ", values " + maxValues);
            }
        }
    }

    /** A syntax error, or a document beyond its {@link Limits}, with the character offset where it was found. */
    public static final class SyntaxException extends Exception {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message, int offset) {
            super(message + " at character " + offset);
        }
    }

    /**
     * Parses one JSON value that must make up the whole of {@code text} (surrounding whitespace allowed).
     *
     * @throws SyntaxException if {@code text} is not exactly one valid JSON value
     */
    public static Object parse(String text) throws SyntaxException {
        return parse(text, Limits.DEFAULT);
    }

    /**
     * Parses as {@link #parse(String)}, within {@code limits}.
     *
     * @throws SyntaxException if {@code text} is not exactly one valid JSON value, or exceeds a limit
     */
    public static Object parse(String text, Limits limits) throws SyntaxException {
        java.util.Objects.requireNonNull(text, "text");
        java.util.Objects.requireNonNull(limits, "limits");
        Json parser = new Json(text, limits);
        parser.skipWhitespace();
        Object value = parser.readValue(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw new SyntaxException("unexpected trailing content '" + parser.excerpt() + "'", parser.pos);
        }
        return value;
    }

    /**
     * Appends {@code s} as a JSON string literal. Escapes exactly what serde_json (the reference safetensors
     * writer) escapes: quote, backslash and control characters; other characters are written as they are.
     */
    public static void appendQuoted(StringBuilder out, String s) {
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
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private Object readValue(int depth) throws SyntaxException {
        if (depth > limits.maxDepth()) {
            throw new SyntaxException("nesting deeper than " + limits.maxDepth(), pos);
        }
        countValue();
        if (pos >= text.length()) {
            throw new SyntaxException("unexpected end of input, expected a value", pos);
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject(depth);
            case '[':
                return readArray(depth);
            case '"':
                return readString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw new SyntaxException("unexpected character '" + c + "', expected a value", pos);
        }
    }

    private Map<String, Object> readObject(int depth) throws SyntaxException {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw new SyntaxException("expected a string key", pos);
            }
            int keyOffset = pos;
            countValue();
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = readValue(depth + 1);
            // Reject rather than let the last one win: two readers could otherwise disagree on the file.
            if (map.putIfAbsent(key, value) != null) {
                throw new SyntaxException("duplicate key \"" + key + "\"", keyOffset);
            }
            skipWhitespace();
            char c = next("',' or '}'");
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                throw new SyntaxException("expected ',' or '}' but found '" + c + "'", pos - 1);
            }
        }
    }

    private List<Object> readArray(int depth) throws SyntaxException {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            if (list.size() == limits.maxArrayElements()) {
                throw new SyntaxException("array longer than the limit of " + limits.maxArrayElements()
                        + " elements", pos);
            }
            list.add(readValue(depth + 1));
            skipWhitespace();
            char c = next("',' or ']'");
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                throw new SyntaxException("expected ',' or ']' but found '" + c + "'", pos - 1);
            }
        }
    }

    private void countValue() throws SyntaxException {
        if (++values > limits.maxValues()) {
            throw new SyntaxException("more than the limit of " + limits.maxValues() + " values", pos);
        }
    }

    private String readString() throws SyntaxException {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next("closing '\"'");
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw new SyntaxException("unescaped control character U+" + String.format("%04X", (int) c)
                        + " in string", pos - 1);
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next("escape character");
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(readHex4());
                default -> throw new SyntaxException("invalid escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private char readHex4() throws SyntaxException {
        if (pos + 4 > text.length()) {
            throw new SyntaxException("truncated \\u escape", pos);
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(pos + i), 16);
            // Character.digit also accepts non-ASCII digits; JSON allows only [0-9a-fA-F].
            if (digit < 0 || text.charAt(pos + i) > 'f') {
                throw new SyntaxException("invalid hex digit in \\u escape", pos + i);
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return (char) value;
    }

    private Object readNumber() throws SyntaxException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            skipDigits();
        } else {
            throw new SyntaxException("expected a digit", pos);
        }
        boolean integer = true;
        if (peek() == '.') {
            integer = false;
            pos++;
            if (!isDigit(peek())) {
                throw new SyntaxException("expected a digit after '.'", pos);
            }
            skipDigits();
        }
        if (peek() == 'e' || peek() == 'E') {
            integer = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw new SyntaxException("expected a digit in exponent", pos);
            }
            skipDigits();
        }
        String literal = text.substring(start, pos);
        if (!integer) {
            return Double.parseDouble(literal);
        }
        try {
            return Long.parseLong(literal);
        } catch (NumberFormatException e) {
            throw new SyntaxException("integer " + literal + " does not fit in 64 bits", start);
        }
    }

    private void skipDigits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private void expectWord(String word) throws SyntaxException {
        if (!text.startsWith(word, pos)) {
            throw new SyntaxException("invalid literal, expected '" + word + "'", pos);
        }
        pos += word.length();
    }

    private void expect(char c) throws SyntaxException {
        char found = next("'" + c + "'");
        if (found != c) {
            throw new SyntaxException("expected '" + c + "' but found '" + found + "'", pos - 1);
        }
    }

    /** The next character, or -1 at the end. */
    private int peek() {
        return pos < text.length() ? text.charAt(pos) : -1;
    }

    private char next(String expected) throws SyntaxException {
        if (pos >= text.length()) {
            throw new SyntaxException("unexpected end of input, expected " + expected, pos);
        }
        return text.charAt(pos++);
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String excerpt() {
        return text.substring(pos, Math.min(text.length(), pos + 20));
    }
}
