package io.github.bnb4j.nn.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;

class HfCheckpointTest {
    private static final String EMBED = "model.embed_tokens.weight";

    @TempDir
    Path tmp;

    @Test
    void readsTheTinyLlamaFolder() throws IOException {
        Path folder = Fixtures.model("tiny-llama-public");
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder);
             SafetensorsReader raw = SafetensorsReader.open(folder.resolve(HfCheckpoint.SINGLE_FILE))) {
            assertEquals(256, ckpt.config().requireInt("hidden_size"));
            assertEquals("llama", ckpt.config().requireString("model_type"));
            assertEquals(4 + 4 * 9 - 1, ckpt.tensorNames().size()); // embed, norm, lm_head + 9 per layer
            assertTrue(ckpt.quantizationConfig().isEmpty());
            assertEquals(DType.BF16, ckpt.info(EMBED).dtype());
            ckpt.requireShape(EMBED, 2048, 256);
            float[] expected = raw.readFloats(EMBED);
            try (Tensor asStored = ckpt.read(EMBED, Device.cpu());
                 Tensor asF32 = ckpt.read(EMBED, Device.cpu(), DType.F32)) {
                assertEquals(DType.BF16, asStored.dtype());
                assertArrayEquals(expected, asStored.toFloatArray());
                assertArrayEquals(expected, asF32.toFloatArray());
            }
        }
    }

    @Test
    void readsThePreQuantizedConfigs() throws IOException {
        try (HfCheckpoint nf4 = HfCheckpoint.open(Fixtures.model("tiny-llama-public-nf4_dq"));
             HfCheckpoint int8 = HfCheckpoint.open(Fixtures.model("tiny-llama-public-int8_th6"))) {
            BitsAndBytesConfig four = nf4.quantizationConfig().orElseThrow();
            assertEquals(BitsAndBytesConfig.FourBit.nf4DoubleQuant(DType.BF16), four);
            BitsAndBytesConfig eight = int8.quantizationConfig().orElseThrow();
            assertEquals(BitsAndBytesConfig.EightBit.defaults(), eight);
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> BitsAndBytesConfig.EightBit.defaults().requireCompatibleWith(four, nf4.folder()));
            assertTrue(e.getMessage().contains("NF4"), e.getMessage());
            assertThrows(CheckpointException.class, () -> BitsAndBytesConfig.FourBit.nf4DoubleQuant(DType.BF16)
                    .withDoubleQuant(false).requireCompatibleWith(four, nf4.folder()));
            BitsAndBytesConfig.FourBit.nf4DoubleQuant(DType.F16).requireCompatibleWith(four, nf4.folder());
        }
    }

    @Test
    void readsShardsThroughTheIndex() throws IOException {
        Path folder = shardedFolder();
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            assertEquals(2, ckpt.tensorNames().size());
            assertEquals(folder.resolve("model-00002-of-00002.safetensors"), ckpt.fileOf("b"));
            try (Tensor b = ckpt.read("b", Device.cpu())) {
                assertArrayEquals(new float[] {3, 4, 5}, b.toFloatArray());
            }
        }
    }

    @Test
    void namesTheMissingShard() throws IOException {
        Path folder = shardedFolder();
        Files.delete(folder.resolve("model-00002-of-00002.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(folder));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors")
                && e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void namesATensorTheIndexPutsInTheWrongShard() throws IOException {
        Path folder = shardedFolder();
        Files.writeString(folder.resolve(HfCheckpoint.INDEX), "{\"weight_map\": {\"a\": "
                + "\"model-00001-of-00002.safetensors\", \"b\": \"model-00001-of-00002.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(folder));
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("00001"), e.getMessage());
    }

    @Test
    void namesATruncatedShard() throws IOException {
        Path folder = shardedFolder();
        Path shard = folder.resolve("model-00002-of-00002.safetensors");
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(shard) - 4);
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(folder));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void namesWhatIsMissingFromTheFolder() throws IOException {
        CheckpointException noConfig = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(tmp));
        assertTrue(noConfig.getMessage().contains("config.json"), noConfig.getMessage());
        Files.writeString(tmp.resolve(HfCheckpoint.CONFIG), "{\"model_type\": \"llama\"}");
        CheckpointException noWeights = assertThrows(CheckpointException.class, () -> HfCheckpoint.open(tmp));
        assertTrue(noWeights.getMessage().contains(HfCheckpoint.SINGLE_FILE), noWeights.getMessage());
        Files.writeString(tmp.resolve(HfCheckpoint.CONFIG), "[1, 2]");
        assertThrows(CheckpointException.class, () -> HfCheckpoint.open(tmp));
        assertThrows(CheckpointException.class, () -> HfCheckpoint.open(tmp.resolve("nope")));
    }

    @Test
    void namesAMisShapedOrMissingTensor() throws IOException {
        try (HfCheckpoint ckpt = HfCheckpoint.open(Fixtures.model("tiny-llama-public"))) {
            CheckpointException shape = assertThrows(CheckpointException.class,
                    () -> ckpt.requireShape(EMBED, 2048, 255));
            assertTrue(shape.getMessage().contains(EMBED) && shape.getMessage().contains("[2048, 256]"),
                    shape.getMessage());
            CheckpointException missing = assertThrows(CheckpointException.class,
                    () -> ckpt.read("model.layers.9.mlp.up_proj.weight", Device.cpu()));
            assertTrue(missing.getMessage().contains("layers.9"), missing.getMessage());
            assertThrows(CheckpointException.class, () -> ckpt.read(EMBED, Device.cpu(), DType.I32));
        }
    }

    @Test
    void widensEveryDtypeBnb4jTensorsDoNotHold() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("dtypes"));
        Files.writeString(folder.resolve(HfCheckpoint.CONFIG), "{}");
        ByteBuffer f64 = le(16).putDouble(1.5).putDouble(-1e-3);
        ByteBuffer i16 = le(4).putShort((short) -7).putShort((short) 300);
        ByteBuffer u16 = le(4).putShort((short) 0xffff).putShort((short) 1);
        ByteBuffer u32 = le(8).putInt(0xffffffff).putInt(5);
        ByteBuffer u64 = le(16).putLong(Long.MAX_VALUE).putLong(9);
        ByteBuffer bool = le(2).put((byte) 0).put((byte) 7);
        // E4M3: 0x38 = 1.0, 0x01 = 2^-9 (smallest subnormal), 0xfe = -448, 0x7f = NaN.
        ByteBuffer e4m3 = le(4).put((byte) 0x38).put((byte) 0x01).put((byte) 0xfe).put((byte) 0x7f);
        // E5M2: 0x3c = 1.0, 0x7c = +inf, 0x01 = 2^-16.
        ByteBuffer e5m2 = le(3).put((byte) 0x3c).put((byte) 0x7c).put((byte) 0x01);
        new SafetensorsWriter().add("f64", DType.F64, new long[] {2}, f64.flip())
                .add("i16", DType.I16, new long[] {2}, i16.flip()).add("u16", DType.U16, new long[] {2}, u16.flip())
                .add("u32", DType.U32, new long[] {2}, u32.flip()).add("u64", DType.U64, new long[] {2}, u64.flip())
                .add("bool", DType.BOOL, new long[] {2}, bool.flip())
                .add("e4m3", DType.F8_E4M3, new long[] {4}, e4m3.flip())
                .add("e5m2", DType.F8_E5M2, new long[] {3}, e5m2.flip())
                .write(folder.resolve(HfCheckpoint.SINGLE_FILE));
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            assertRead(ckpt, "f64", DType.F32, new float[] {1.5f, -1e-3f});
            assertRead(ckpt, "i16", DType.I32, new float[] {-7, 300});
            assertRead(ckpt, "u16", DType.I32, new float[] {65535, 1});
            try (Tensor t = ckpt.read("u32", Device.cpu()); Tensor u = ckpt.read("u64", Device.cpu());
                 Tensor b = ckpt.read("bool", Device.cpu())) {
                assertEquals(DType.I64, t.dtype());
                assertArrayEquals(new long[] {0xffffffffL, 5}, t.toLongArray());
                assertArrayEquals(new long[] {Long.MAX_VALUE, 9}, u.toLongArray());
                assertArrayEquals(new byte[] {0, 1}, b.toByteArray());
            }
            assertRead(ckpt, "e4m3", DType.BF16, new float[] {1f, 0x1p-9f, -448f, Float.NaN});
            assertRead(ckpt, "e5m2", DType.BF16, new float[] {1f, Float.POSITIVE_INFINITY, 0x1p-16f});
            try (Tensor half = ckpt.read("f64", Device.cpu(), DType.F16)) {
                assertEquals(HalfFloats.f16ToFloat(HalfFloats.floatToF16(-1e-3f)), half.toFloatArray()[1]);
            }
        }
    }

    @Test
    void refusesAU64BeyondI64() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("u64"));
        Files.writeString(folder.resolve(HfCheckpoint.CONFIG), "{}");
        new SafetensorsWriter().add("big", DType.U64, new long[] {1}, le(8).putLong(-1L).flip())
                .write(folder.resolve(HfCheckpoint.SINGLE_FILE));
        try (HfCheckpoint ckpt = HfCheckpoint.open(folder)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> ckpt.read("big", Device.cpu()));
            assertTrue(e.getMessage().contains("18446744073709551615") && e.getMessage().contains("'big'"),
                    e.getMessage());
        }
    }

    private static void assertRead(HfCheckpoint ckpt, String name, DType dtype, float[] expected) {
        try (Tensor t = ckpt.read(name, Device.cpu())) {
            assertEquals(dtype, t.dtype(), name);
            float[] got = dtype == DType.I32 ? toFloats(t.toIntArray()) : t.toFloatArray();
            assertArrayEquals(expected, got, name);
        }
        assertFalse(ckpt.info(name).dtype().hasNativeCode(), name);
    }

    private static float[] toFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    private Path shardedFolder() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("sharded"));
        Files.writeString(folder.resolve(HfCheckpoint.CONFIG), "{\"model_type\": \"llama\"}");
        new SafetensorsWriter().addFloats("a", new long[] {2}, new float[] {1, 2})
                .write(folder.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().addFloats("b", new long[] {3}, new float[] {3, 4, 5})
                .write(folder.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(folder.resolve(HfCheckpoint.INDEX), "{\"metadata\": {\"total_size\": 20}, \"weight_map\": "
                + "{\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00002-of-00002.safetensors\"}}");
        return folder;
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
