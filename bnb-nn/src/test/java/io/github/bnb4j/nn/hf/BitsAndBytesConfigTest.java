package io.github.bnb4j.nn.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.QuantType;

class BitsAndBytesConfigTest {
    @TempDir
    Path tmp;

    @Test
    void readsTransformersKeysWithTheirDefaults() throws IOException {
        BitsAndBytesConfig four = parse("{\"load_in_4bit\": true, \"bnb_4bit_compute_dtype\": \"torch.float16\"}");
        assertEquals(new BitsAndBytesConfig.FourBit(QuantType.FP4, DType.F16, false, Blocksize.B64, List.of("lm_head")),
                four);
        BitsAndBytesConfig eight = parse("{\"load_in_8bit\": true, \"llm_int8_threshold\": 0, "
                + "\"llm_int8_skip_modules\": [\"out_proj\", \"lm_head\"]}");
        assertEquals(new BitsAndBytesConfig.EightBit(0f, false, List.of("out_proj", "lm_head")), eight);
        assertTrue(eight.skips("model.layers.0.self_attn.out_proj"));
        assertTrue(eight.skips("lm_head"));
        assertFalse(eight.skips("model.layers.0.self_attn.out_proj2"));
        assertFalse(eight.skips("lm_head_extra"));
    }

    @Test
    void namesTheWrongValue() {
        assertMessage("{\"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"int4\"}", "\"int4\"");
        assertMessage("{\"load_in_4bit\": true, \"bnb_4bit_compute_dtype\": \"float64\"}", "float64");
        assertMessage("{\"load_in_4bit\": true, \"load_in_8bit\": true}", "exactly one");
        assertMessage("{\"load_in_8bit\": true, \"llm_int8_threshold\": -1}", "-1");
        assertMessage("{\"load_in_8bit\": \"yes\"}", "\"yes\"");
        assertMessage("{\"quant_method\": \"gptq\", \"load_in_4bit\": true}", "gptq");
        assertMessage("{\"load_in_4bit\": true, \"bnb_4bit_quant_storage\": \"bfloat16\"}", "bfloat16");
    }

    @Test
    void rejectsBadValuesWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new BitsAndBytesConfig.EightBit(Float.NaN, false,
                List.of()));
        assertThrows(IllegalArgumentException.class, () -> BitsAndBytesConfig.FourBit.nf4DoubleQuant(DType.I8));
    }

    private void assertMessage(String json, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> parse(json));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains("config.json"), e.getMessage());
    }

    private BitsAndBytesConfig parse(String quantizationConfig) throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, "{\"quantization_config\": " + quantizationConfig + "}");
        return BitsAndBytesConfig.fromQuantizationConfig(ConfigJson.read(file).object("quantization_config")
                .orElseThrow());
    }
}
