package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Corrupted or unknown {@code quant_state} entries (issue 9, "Bad input"): wrong JSON types, missing keys, shapes
 * that do not match the tensors, unknown quant types, code books that are not the quant type's. Each is an
 * {@link IllegalArgumentException} naming the key and the value; no state is made.
 */
class FourBitStateDictBadInputTest {
    private static final String PLAIN_JSON = "{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\","
            + " \"shape\": [128, 256]}";
    private TensorScope scope;

    @BeforeEach
    void openScope() {
        scope = TensorScope.open();
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }

    /** Upstream's plain NF4 state dict of Linear4bit's weight (keys without the "weight." prefix). */
    private static Map<String, Tensor> upstream(String storage) {
        String prefix = "lin4.nf4." + storage + ".state_dict.weight.";
        SafetensorsReader reader = ReferenceVectors.reader();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : reader.names()) {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), reader.read(name, Device.cpu()));
            }
        }
        return out;
    }

    private static Map<String, Tensor> withJson(Map<String, Tensor> dict, String key, String json) {
        return withBytes(dict, key, json.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Tensor> withBytes(Map<String, Tensor> dict, String key, byte[] bytes) {
        Map<String, Tensor> out = new LinkedHashMap<>(dict);
        out.remove("quant_state.bitsandbytes__nf4");
        out.put(key, Tensor.fromBytes(bytes, DType.U8, Device.cpu(), bytes.length));
        return out;
    }

    private static void assertRefused(Map<String, Tensor> dict, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FourBitStateDict.fromStateDict(dict, "", Device.cpu()));
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message must name '" + w + "': " + e.getMessage());
        }
    }

    @Test
    void theUntouchedDictLoads() {
        FourBitStateDict.fromStateDict(withJson(upstream("plain"), "quant_state.bitsandbytes__nf4", PLAIN_JSON), "",
                Device.cpu()).close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"blocksize\": 64|\"blocksize\": \"64\"|\"blocksize\" must be an integer, got 64",
        "\"blocksize\": 64|\"blocksize\": 64.5|\"blocksize\" must be an integer, got 64.5",
        "\"blocksize\": 64|\"blocksize\": 48|must be one of [32, 64, 128, 256, 512, 1024, 2048, 4096], got 48",
        "\"dtype\": \"bfloat16\"|\"dtype\": \"float64\"|or \"bfloat16\", got float64",
        "\"shape\": [128, 256]|\"shape\": \"128x256\"|\"shape\" must be an array of integers, got 128x256",
        "\"shape\": [128, 256]|\"shape\": [128, -256]|shape dimensions must be >= 0",
        "\"shape\": [128, 256]|\"shape\": [128, 255]|must hold 510 values",
        "\"shape\": [128, 256]|\"shape\": [128, 256, 2]|must hold 1024 values",
        "\"quant_type\": \"nf4\"|\"quant_type\": 4|quant_type in 'quant_state.bitsandbytes__nf4' must be \"nf4\"",
    })
    void wrongJsonValuesAreNamed(String from, String to, String message) {
        assertRefused(withJson(upstream("plain"), "quant_state.bitsandbytes__nf4", PLAIN_JSON.replace(from, to)),
                message);
    }

    @Test
    void missingOrExtraJsonKeysAreNamed() {
        assertRefused(withJson(upstream("plain"), "quant_state.bitsandbytes__nf4",
                PLAIN_JSON.replace(", \"shape\": [128, 256]", "")), "must have the keys", "shape");
        assertRefused(withJson(upstream("plain"), "quant_state.bitsandbytes__nf4",
                PLAIN_JSON.replace("}", ", \"compress\": true}")), "unknown key \"compress\"");
        assertRefused(withJson(upstream("plain"), "quant_state.bitsandbytes__nf4",
                PLAIN_JSON.replace("}", ", \"nested_offset\": 0.1}")), "must have the keys", "nested_blocksize");
    }

    @Test
    void blobsThatAreNotJsonObjectsAreRefused() {
        String key = "quant_state.bitsandbytes__nf4";
        assertRefused(withJson(upstream("plain"), key, PLAIN_JSON.substring(0, 40)), key, "is not valid JSON");
        assertRefused(withJson(upstream("plain"), key, "[1, 2]"), key, "must hold a JSON object");
        assertRefused(withBytes(upstream("plain"), key, new byte[] {'{', (byte) 0xC3, '}'}), key, "not valid UTF-8");
        Map<String, Tensor> f32Blob = new LinkedHashMap<>(upstream("plain"));
        f32Blob.put(key, Tensor.zeros(DType.F32, Device.cpu(), 4));
        assertRefused(f32Blob, key, "must be a U8 tensor of UTF-8 JSON");
    }

    @Test
    void unknownQuantTypesAreRefused() {
        assertRefused(withJson(upstream("plain"), "quant_state.bitsandbytes__int4",
                PLAIN_JSON.replace("nf4", "int4")), "must end in __nf4 or __fp4");
    }

    @Test
    void tensorsMustMatchTheJson() {
        Map<String, Tensor> f16Absmax = new LinkedHashMap<>(upstream("plain"));
        f16Absmax.put("absmax", Tensor.zeros(DType.F16, Device.cpu(), 512));
        assertRefused(f16Absmax, "absmax of plain scales must be F32");
        Map<String, Tensor> u8Absmax = new LinkedHashMap<>(upstream("nested"));
        u8Absmax.put("absmax", Tensor.zeros(DType.F32, Device.cpu(), 512));
        assertRefused(u8Absmax, "codes of nested scales must be U8");
        Map<String, Tensor> shortNested = new LinkedHashMap<>(upstream("nested"));
        shortNested.put("nested_absmax", Tensor.zeros(DType.F32, Device.cpu(), 1));
        assertRefused(shortNested, "must hold 2 values", "got 1");
        Map<String, Tensor> bigMap = new LinkedHashMap<>(upstream("plain"));
        bigMap.put("quant_map", Tensor.zeros(DType.F32, Device.cpu(), 256));
        assertRefused(bigMap, "code of the 4-bit state must be an F32 tensor of 16 values");
    }

    /** The kernels decode with the quant type's own table, so another quant_map would be silently ignored. */
    @Test
    void aQuantMapThatIsNotTheQuantTypesTableIsRefused() {
        float[] nf4 = CodeBooks.nf4();
        nf4[3] += 0.01f;
        Map<String, Tensor> dict = new LinkedHashMap<>(upstream("plain"));
        dict.put("quant_map", Tensor.fromFloats(nf4, DType.F32, Device.cpu(), 16));
        assertRefused(dict, "quant_map must be the NF4 table", "quant_map[3] = " + nf4[3]);
        Map<String, Tensor> fp4 = new LinkedHashMap<>(upstream("plain"));
        fp4.put("quant_map", Tensor.fromFloats(CodeBooks.fp4(), DType.F32, Device.cpu(), 16));
        assertRefused(fp4, "quant_map must be the NF4 table");
    }
}
