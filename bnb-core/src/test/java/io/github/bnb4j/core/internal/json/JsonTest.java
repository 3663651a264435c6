package io.github.bnb4j.core.internal.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The limits of the strict reader and the Python-compatible writer. */
class JsonTest {
    @Test
    void limitsBoundArraysValuesAndDepth() throws Json.SyntaxException {
        Json.Limits limits = new Json.Limits(3, 4, 12);
        assertEquals(List.of(1L, 2L, 3L, 4L), Json.parse("[1,2,3,4]", limits));
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse("[1,2,3,4,5]", limits));
        assertTrue(e.getMessage().contains("array longer than the limit of 4"), e.getMessage());
        e = assertThrows(Json.SyntaxException.class,
                () -> Json.parse("{\"a\":[1],\"b\":[2],\"c\":[3],\"d\":[4]}", limits));
        assertTrue(e.getMessage().contains("more than the limit of 12 values"), e.getMessage());
        e = assertThrows(Json.SyntaxException.class, () -> Json.parse("[[[[1]]]]", limits));
        assertTrue(e.getMessage().contains("nesting deeper than 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Json.Limits(0, 1, 1));
    }

    @Test
    void floatReprIsPythons() {
        // expected strings are what CPython 3 prints for repr(x)
        assertEquals("0.1265869140625", PythonJson.floatRepr(0.1265869140625));
        assertEquals("0.1", PythonJson.floatRepr(0.1));
        assertEquals("1.0", PythonJson.floatRepr(1.0));
        assertEquals("-0.0", PythonJson.floatRepr(-0.0));
        assertEquals("123456.0", PythonJson.floatRepr(123456.0));
        assertEquals("0.0001", PythonJson.floatRepr(1e-4));
        assertEquals("1e-05", PythonJson.floatRepr(1e-5));
        assertEquals("1e+16", PythonJson.floatRepr(1e16));
        assertEquals("1234567890123456.0", PythonJson.floatRepr(1234567890123456.0));
        assertEquals("1.5e+300", PythonJson.floatRepr(1.5e300));
        assertEquals("5e-324", PythonJson.floatRepr(Double.MIN_VALUE));
        assertEquals("1.7976931348623157e+308", PythonJson.floatRepr(Double.MAX_VALUE));
        assertEquals("0.30000000000000004", PythonJson.floatRepr(0.1 + 0.2));
        assertEquals("2.0000000000000005e-05", PythonJson.floatRepr(2.0000000000000004e-05));
        assertEquals("0.001600000075995922", PythonJson.floatRepr(0.0016000000759959221));
        assertEquals("0.0015999999595806003", PythonJson.floatRepr((double) 0.0016f));
        assertThrows(IllegalArgumentException.class, () -> PythonJson.floatRepr(Double.NaN));
    }

    @Test
    void dumpsUsesPythonsSeparatorsAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("quant_type", "nf4");
        m.put("shape", List.of(128L, 256L));
        m.put("x", 0.5);
        m.put("s", "é\"\n");
        m.put("n", Json.NULL);
        assertEquals("{\"quant_type\": \"nf4\", \"shape\": [128, 256], \"x\": 0.5, "
                + "\"s\": \"\\u00e9\\\"\\n\", \"n\": null}",
                PythonJson.dumps(m));
    }
}
