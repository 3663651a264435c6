package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * 4-bit states read from and written to upstream's state dicts: the {@code lin4.*.state_dict.weight.*}
 * entries of the reference vectors are what bitsandbytes' {@code Linear4bit.state_dict()} returned.
 */
class FourBitStateDictTest {
    /** The quant state entries under {@code prefix}, in the file's order, read to the CPU. */
    private static Map<String, Tensor> reference(String prefix) {
        SafetensorsReader reader = ReferenceVectors.reader();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : reader.names()) {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), reader.read(name, Device.cpu()));
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"nf4,plain", "nf4,nested", "fp4,plain", "fp4,nested"})
    void upstreamStateDictsRoundTripByteForByte(String type, String storage) {
        String prefix = "lin4." + type + "." + storage + ".state_dict.weight.";
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> ref = reference(prefix);
            FourBitState state = FourBitStateDict.fromStateDict(ref, "", Device.cpu());
            assertArrayEquals(new long[] {128, 256}, state.shape());
            assertEquals(DType.BF16, state.dtype());
            assertEquals(Blocksize.B64, state.blocksize());
            assertEquals(type, state.quantType().upstreamName());
            assertEquals(storage.equals("nested"), state.isNested());
            assertEquals(512, state.blocks());
            assertArrayEquals(type.equals("nf4") ? CodeBooks.nf4() : CodeBooks.fp4(), state.code().toFloatArray());
            if (state.scales() instanceof AbsmaxScales.Nested nested) {
                assertEquals(0.1265869140625f, nested.offset().toFloatArray()[0]);
                assertEquals(Blocksize.B256, nested.state().blocksize());
                assertEquals(2, nested.state().scales().blocks());
            }

            Map<String, Tensor> written = FourBitStateDict.toStateDict(state, "weight.");
            List<String> expectedKeys = new ArrayList<>();
            ref.keySet().forEach(k -> expectedKeys.add("weight." + k));
            assertEquals(expectedKeys.stream().sorted().toList(), written.keySet().stream().sorted().toList());
            for (Map.Entry<String, Tensor> e : ref.entrySet()) {
                Tensor mine = written.get("weight." + e.getKey());
                assertEquals(e.getValue().dtype(), mine.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), mine.shape(), e.getKey());
                assertEquals(e.getValue().toByteBuffer(), mine.toByteBuffer(), e.getKey() + " bytes");
            }
            String packed = "quant_state.bitsandbytes__" + type;
            assertEquals(new String(ref.get(packed).toByteArray(), StandardCharsets.UTF_8),
                    new String(FourBitStateDict.packedJson(state), StandardCharsets.UTF_8));
            written.values().forEach(Tensor::close);
            assertTrue(!state.code().isClosed(), "closing the written views frees nothing of the state");
            state.close();
        }
    }

    @Test
    void malformedStateDictsAreRefusedWithTheKeyAtFault() {
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> ref = reference("lin4.nf4.nested.state_dict.weight.");
            Map<String, Tensor> missing = new LinkedHashMap<>(ref);
            missing.remove("nested_quant_map");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FourBitStateDict.fromStateDict(missing, "", Device.cpu()));
            assertTrue(e.getMessage().contains("a nested quant state needs the tensors"), e.getMessage());

            Map<String, Tensor> none = new LinkedHashMap<>(ref);
            none.remove("quant_state.bitsandbytes__nf4");
            e = assertThrows(IllegalArgumentException.class, () -> FourBitStateDict.fromStateDict(none, "",
                    Device.cpu()));
            assertTrue(e.getMessage().contains("has no packed quant state"), e.getMessage());

            Map<String, Tensor> badJson = new LinkedHashMap<>(ref);
            byte[] json = "{\"quant_type\": \"fp4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [128, 256]}"
                    .getBytes(StandardCharsets.UTF_8);
            badJson.put("quant_state.bitsandbytes__nf4", Tensor.fromBytes(json, DType.U8, Device.cpu(), json.length));
            e = assertThrows(IllegalArgumentException.class, () -> FourBitStateDict.fromStateDict(badJson, "",
                    Device.cpu()));
            assertTrue(e.getMessage().contains("quant_type in 'quant_state.bitsandbytes__nf4' must be \"nf4\""),
                    e.getMessage());

            Map<String, Tensor> unknown = new LinkedHashMap<>(ref);
            unknown.put("SCB", ref.get("absmax"));
            e = assertThrows(IllegalArgumentException.class, () -> FourBitStateDict.fromStateDict(unknown, "",
                    Device.cpu()));
            assertTrue(e.getMessage().contains("unknown quant state key 'SCB'"), e.getMessage());

            Map<String, Tensor> shortAbsmax = new LinkedHashMap<>(ref);
            shortAbsmax.put("absmax", Tensor.zeros(DType.U8, Device.cpu(), 511));
            e = assertThrows(IllegalArgumentException.class, () -> FourBitStateDict.fromStateDict(shortAbsmax, "",
                    Device.cpu()));
            assertTrue(e.getMessage().contains("512"), e.getMessage());
        }
    }
}
