package io.github.bnb4j.core.functional;

import static io.github.bnb4j.core.functional.Int8Conformance.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Int8 weights read from and written to upstream's state dicts: the {@code int8.linear_th*.state_dict.*} entries of
 * the reference vectors are what bitsandbytes' {@code Linear8bitLt.state_dict()} returned, byte for byte.
 */
class Int8StateDictTest {
    private static final List<String> KEYS = List.of("weight", "SCB", "weight_format");
    private TensorScope scope;

    @BeforeEach
    void openScope() {
        scope = TensorScope.open();
    }

    @AfterEach
    void closeScope() {
        scope.close();
    }

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void quantizingUpstreamsWeightWritesUpstreamsStateDict(int threshold, @TempDir Path dir) throws IOException {
        String prefix = "int8.linear_th" + threshold + ".state_dict.";
        Int8Weight w = Int8Weight.quantize(ReferenceVectors.tensor("int8.W", Device.cpu()));

        Map<String, Tensor> dict = Int8StateDict.toStateDict(w, prefix);

        assertEquals(KEYS.stream().map(k -> prefix + k).toList(), List.copyOf(dict.keySet()));
        Path file = dir.resolve("int8.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        dict.forEach(writer::add);
        writer.write(file);
        try (SafetensorsReader saved = SafetensorsReader.open(file)) {
            for (String key : KEYS) {
                var want = ReferenceVectors.reader().info(prefix + key);
                var got = saved.info(prefix + key);
                assertEquals(want.dtype(), got.dtype(), key + " dtype");
                assertArrayEquals(want.shape(), got.shape(), key + " shape");
                assertEquals(ReferenceVectors.reader().bytes(prefix + key), saved.bytes(prefix + key), key + " bytes");
            }
        }
    }

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void loadsUpstreamsStateDictAndWritesItBack(int threshold) {
        String prefix = "layer.";
        Map<String, Tensor> upstream = new LinkedHashMap<>();
        for (String key : List.of("weight", "SCB", "weight_format", "bias")) {
            upstream.put(prefix + key, ReferenceVectors.tensor("int8.linear_th" + threshold + ".state_dict." + key,
                    Device.cpu()));
        }

        Int8Weight w = Int8StateDict.fromStateDict(upstream, prefix, Device.cpu());
        Map<String, Tensor> back = Int8StateDict.toStateDict(w, prefix);

        for (String key : KEYS) {
            assertEquals(bytes(upstream.get(prefix + key)), bytes(back.get(prefix + key)), key);
        }
    }

    @Test
    void acceptsAMissingFormatAndAnyIntegerZero() {
        Int8Weight w = Int8Weight.quantize(Tensor.fromFloats(new float[] {1, -2, 3, 4}, DType.F32, Device.cpu(), 2, 2));
        Map<String, Tensor> dict = new LinkedHashMap<>(Int8StateDict.toStateDict(w, ""));
        dict.remove("weight_format");
        assertArrayEquals(w.cb().toByteArray(), Int8StateDict.fromStateDict(dict, "", Device.cpu()).cb().toByteArray());
        dict.put("weight_format", Tensor.fromLongs(new long[] {0}, Device.cpu(), 1));
        assertArrayEquals(w.scb().toFloatArray(),
                Int8StateDict.fromStateDict(dict, "", Device.cpu()).scb().toFloatArray());
    }

    @Test
    void rejectsWhatIsNotAnInt8WeightNamingIt() {
        Tensor weight16 = Tensor.fromFloats(new float[6], DType.F16, Device.cpu(), 2, 3);
        Int8Weight w = Int8Weight.quantize(weight16);
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(
                Map.of("l.weight", weight16, "l.SCB", w.scb()), "l.", Device.cpu()), "l.weight", "never quantized");
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(
                Map.of("l.weight", w.cb()), "l.", Device.cpu()), "l.SCB");
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(
                Map.of("l.SCB", w.scb()), "l.", Device.cpu()), "l.weight");
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(
                Map.of("l.weight", w.cb(), "l.SCB", Tensor.zeros(DType.F32, Device.cpu(), 3)), "l.", Device.cpu()),
                "scb", "[2]");
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(Map.of("l.weight", w.cb(),
                "l.SCB", w.scb(), "l.weight_format", Tensor.fromBytes(new byte[] {1}, DType.U8, Device.cpu())), "l.",
                Device.cpu()), "l.weight_format", "got 1");
        assertMessage(IllegalArgumentException.class, () -> Int8StateDict.fromStateDict(Map.of("l.weight", w.cb(),
                "l.SCB", w.scb(), "l.weight_format", Tensor.zeros(DType.F32, Device.cpu(), 1)), "l.", Device.cpu()),
                "l.weight_format", "F32");
    }

    private static ByteBuffer bytes(Tensor t) {
        ByteBuffer b = ByteBuffer.allocate((int) t.byteSize());
        t.copyToHost(0, b);
        return b.flip();
    }
}
