package io.github.bnb4j.nn.llama;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;
import io.github.bnb4j.core.safetensors.TensorInfo;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;
import io.github.bnb4j.nn.hf.CheckpointException;
import io.github.bnb4j.nn.hf.Fixtures;
import io.github.bnb4j.nn.hf.HfCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to {@link LlamaForCausalLM#load} and {@link LlamaForCausalLM#generate}: each is a clear exception naming
 * the file, the tensor and the value, and a model that failed to load is closed (nothing stays allocated). File
 * handling is the same on every backend, so this runs on the CPU only.
 */
class LlamaLoadErrorsTest {
    private static final String DOWN_3 = "model.layers.3.mlp.down_proj.weight";
    private static final String K_2 = "model.layers.2.self_attn.k_proj.weight";
    private static final LlamaLoadOptions CPU = LlamaLoadOptions.on(Device.cpu());

    @TempDir
    Path tmp;

    @Test
    void aFolderWithoutConfigJson() throws IOException {
        Path folder = copy(Map.of(), "no-config");
        Files.delete(folder.resolve(HfCheckpoint.CONFIG));
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(folder, CPU), "config.json");
    }

    @Test
    void aModelThatIsNotALlama() throws IOException {
        Path folder = copy(Map.of(), "gpt2");
        Path config = folder.resolve(HfCheckpoint.CONFIG);
        Files.writeString(config, Files.readString(config).replace("\"llama\"", "\"gpt2\""));
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(folder, CPU), "config.json", "gpt2");
    }

    @Test
    void aMissingTensorClosesTheHalfLoadedModel() throws IOException {
        Path folder = copy(Map.of(DOWN_3, "drop"), "missing");
        assertClosedAfter(folder, CPU, DOWN_3, folder.toString());
    }

    @Test
    void anExtraTensor() throws IOException {
        Path folder = copy(Map.of("model.layers.0.mlp.extra.weight", "add"), "extra");
        assertClosedAfter(folder, CPU, "model.layers.0.mlp.extra.weight", "model.safetensors");
    }

    @Test
    void aMisShapedTensor() throws IOException {
        Path folder = copy(Map.of(K_2, "reshape"), "shape");
        assertClosedAfter(folder, CPU, K_2, "[64, 512]", "[128, 256]");
        LlamaLoadOptions nf4 = CPU.withDtype(DType.BF16).withQuantization(Variant.NF4.quantization);
        assertClosedAfter(folder, nf4, K_2, "[64, 512]");
    }

    @Test
    void aTruncatedFile() throws IOException {
        Path folder = copy(Map.of(), "truncated");
        Path file = folder.resolve(HfCheckpoint.SINGLE_FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(file) - 100);
        }
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(folder, CPU), file.toString());
    }

    @Test
    void anIndexNamingAShardThatIsNotThere() throws IOException {
        Path folder = copy(Map.of(), "sharded");
        Files.move(folder.resolve(HfCheckpoint.SINGLE_FILE), folder.resolve("model-00001-of-00002.safetensors"));
        StringBuilder index = new StringBuilder("{\"weight_map\": {");
        try (SafetensorsReader r = SafetensorsReader.open(folder.resolve("model-00001-of-00002.safetensors"))) {
            for (String name : r.names()) {
                index.append('"').append(name).append("\": \"model-00001-of-00002.safetensors\", ");
            }
        }
        index.append("\"lm_head.bias\": \"model-00002-of-00002.safetensors\"}}");
        Files.writeString(folder.resolve(HfCheckpoint.INDEX), index);
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(folder, CPU),
                "model-00002-of-00002.safetensors", "lm_head.bias");
    }

    @Test
    void aRequestThatContradictsAPreQuantizedCheckpoint() {
        Path nf4 = Fixtures.model("tiny-llama-public-nf4_dq");
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(nf4,
                CPU.withQuantization(BitsAndBytesConfig.EightBit.defaults())), "config.json", "NF4");
        assertNaming(CheckpointException.class, () -> LlamaForCausalLM.load(nf4,
                CPU.withQuantization(Variant.NF4.quantization)), "without double quant");
    }

    @Test
    void aComputeDtypeOtherThanTheModelsDtype() {
        assertNaming(IllegalArgumentException.class, () -> LlamaForCausalLM.load(ReferenceOutputs.checkpoint(),
                CPU.withDtype(DType.F16).withQuantization(Variant.NF4.quantization)), "BF16", "F16");
    }

    @Test
    void aPromptLongerThanThePositionLimit() throws IOException {
        try (LlamaForCausalLM model = LlamaForCausalLM.load(ReferenceOutputs.checkpoint(), CPU)) {
            long[][] prompt = new long[1][250];
            assertNaming(IllegalArgumentException.class, () -> model.generate(prompt, GenerationOptions.greedy(16),
                    TokenListener.NONE), "250", "16", "max_position_embeddings = 256");
            try (Tensor ids = Tensor.zeros(DType.I64, Device.cpu(), 1, 257)) {
                assertNaming(IllegalArgumentException.class, () -> model.forward(ids), "257",
                        "max_position_embeddings = 256");
            }
            assertNaming(IllegalArgumentException.class, () -> model.newCache(1, 257), "257");
            assertNaming(IllegalArgumentException.class, () -> model.generate(new long[][] {{1, 2048}},
                    GenerationOptions.greedy(1), TokenListener.NONE), "prompt[0][1] = 2048");
            try (LlamaCache cache = model.newCache(1, 4); Tensor ids = Tensor.zeros(DType.I64, Device.cpu(), 1, 5)) {
                assertNaming(IllegalArgumentException.class, () -> model.forward(ids, cache), "5 more tokens");
            }
        }
    }

    /** A source that fails at its tenth tensor: every tensor it gave is closed, and so is the model. */
    @Test
    void aFailingSourceLeavesNothingAllocated() {
        LlamaConfig config = new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 1e-5, 10000, 64, false);
        List<Tensor> given = new ArrayList<>();
        AtomicReference<LlamaForCausalLM> built = new AtomicReference<>();
        LlamaWeights failing = new LlamaWeights() {
            @Override
            public Tensor dense(String name, long[] shape, DType dtype, Device device) {
                if (given.size() == 9) {
                    throw new IllegalArgumentException("no tensor '" + name + "' here");
                }
                Tensor t = Tensor.zeros(dtype, device, shape);
                given.add(t);
                return t;
            }

            @Override
            public Map<String, Tensor> quantized(String module, Device device) {
                return Map.of();
            }
        };
        assertNaming(IllegalArgumentException.class, () -> WeightLoader.load(config, failing, Device.cpu(), DType.F32,
                Variant.INT8_TH6.quantization, built::set),
                "no tensor 'model.layers.0.post_attention_layernorm.weight'");
        assertTrue(given.stream().allMatch(Tensor::isClosed), "every tensor read was closed");
        assertTrue(built.get().isClosed(), "the half-loaded model was closed");
    }

    private static void assertClosedAfter(Path folder, LlamaLoadOptions options, String... fragments) {
        AtomicReference<LlamaForCausalLM> built = new AtomicReference<>();
        assertNaming(CheckpointException.class, () -> CheckpointLoader.load(folder, options, built::set), fragments);
        assertNotNull(built.get(), "the model was built before the tensors were checked");
        assertTrue(built.get().isClosed(), "the half-loaded model was closed");
    }

    private static <T extends Throwable> void assertNaming(Class<T> type, Executable call, String... fragments) {
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + e.getMessage() + "' must name '" + f + "'");
        }
    }

    /**
     * A copy of the bf16 checkpoint in {@code tmp/name} with tensors dropped ("drop"), reshaped to [64, 512]
     * ("reshape") or added as [4] ("add"), as {@code edit} says.
     */
    private Path copy(Map<String, String> edit, String name) throws IOException {
        Path source = ReferenceOutputs.checkpoint();
        Path folder = Files.createDirectories(tmp.resolve(name));
        Files.copy(source.resolve(HfCheckpoint.CONFIG), folder.resolve(HfCheckpoint.CONFIG));
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsReader r = SafetensorsReader.open(source.resolve(HfCheckpoint.SINGLE_FILE))) {
            for (String n : r.names()) {
                TensorInfo info = r.info(n);
                switch (edit.getOrDefault(n, "keep")) {
                    case "drop" -> { }
                    case "reshape" -> writer.add(n, info.dtype(), new long[] {64, 512}, r.bytes(n));
                    default -> writer.add(n, info.dtype(), info.shape(), r.bytes(n));
                }
            }
            edit.forEach((n, what) -> {
                if (what.equals("add")) {
                    writer.addFloats(n, new long[] {4}, new float[4]);
                }
            });
            writer.write(folder.resolve(HfCheckpoint.SINGLE_FILE));
        }
        assertFalse(Files.exists(folder.resolve(HfCheckpoint.INDEX)));
        return folder;
    }
}
