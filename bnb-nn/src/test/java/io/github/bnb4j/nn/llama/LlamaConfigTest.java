package io.github.bnb4j.nn.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.nn.hf.CheckpointException;
import io.github.bnb4j.nn.hf.ConfigJson;
import io.github.bnb4j.nn.hf.Fixtures;

class LlamaConfigTest {
    private static final String LLAMA2_7B = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096, "
            + "\"intermediate_size\": 11008, \"max_position_embeddings\": 4096, \"model_type\": \"llama\", "
            + "\"num_attention_heads\": 32, \"num_hidden_layers\": 32, \"rms_norm_eps\": 1e-05, "
            + "\"rope_scaling\": null, \"rope_theta\": 10000.0, \"vocab_size\": 32000}";

    @TempDir
    Path tmp;

    @Test
    void readsTheTinyLlama() throws IOException {
        LlamaConfig c = LlamaConfig.from(ConfigJson.read(Fixtures.model("tiny-llama-public").resolve("config.json")));
        assertEquals(new LlamaConfig(2048, 256, 688, 4, 4, 2, 64, 1e-5, 10000.0, 256, false), c);
        assertEquals(256, c.queryWidth());
        assertEquals(128, c.kvWidth());
    }

    @Test
    void appliesTransformersDefaults() throws IOException {
        LlamaConfig c = parse(LLAMA2_7B);
        assertEquals(32, c.kvHeads());
        assertEquals(128, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
    }

    @Test
    void namesWhatIsNotSupported() {
        assertMessage(LLAMA2_7B.replace("\"llama\"", "\"gpt2\""), "gpt2");
        assertMessage(LLAMA2_7B.replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\"}"),
                "linear");
        assertMessage(LLAMA2_7B.replace("\"num_attention_heads\": 32", "\"num_attention_heads\": 32, "
                + "\"num_key_value_heads\": 5"), "kvHeads (5)");
        assertMessage(LLAMA2_7B.replace("\"hidden_size\": 4096, ", ""), "hidden_size");
        assertMessage(LLAMA2_7B.replace("\"vocab_size\": 32000", "\"vocab_size\": \"big\""), "\"big\"");
    }

    private void assertMessage(String json, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> parse(json));
        assertTrue(e.getMessage().contains(fragment) && e.getMessage().contains("config.json"), e.getMessage());
    }

    private LlamaConfig parse(String json) throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, json);
        return LlamaConfig.from(ConfigJson.read(file));
    }
}
