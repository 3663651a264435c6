package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.core.safetensors.SafetensorsWriter;
import io.github.bnb4j.core.testing.FourBitReference;
import io.github.bnb4j.core.testing.ReferenceVectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The layers against upstream bitsandbytes' own: the {@code lin4.*} cases (a bf16 {@code Linear4bit} 256 → 128,
 * NF4 and FP4, plain and nested) and the {@code int8.linear_th{0,6}} cases (an f16 {@code Linear8bitLt} 256 → 128
 * without 16-bit weights) of the reference vectors. Outputs within upstream's rounding, state dicts byte-equal to
 * upstream's, through safetensors files as Python writes and reads them.
 */
abstract class UpstreamLayersConformance extends NnConformance {
    /** Upstream's Linear4bit.state_dict order (spec 3.8). */
    private static final List<String> LIN4_PLAIN_KEYS = List.of("weight", "bias", "weight.absmax", "weight.quant_map");
    private static final List<String> INT8_KEYS = List.of("weight", "bias", "SCB", "weight_format");

    static Stream<Arguments> lin4Cases() {
        return Stream.of(QuantType.values()).flatMap(qt -> Stream.of("plain", "nested").map(s -> Arguments.of(qt, s)));
    }

    /** The entries of upstream's state dict under {@code prefix}, keys relative, as CPU tensors. */
    static Map<String, Tensor> upstream(String prefix) {
        Map<String, Tensor> dict = new LinkedHashMap<>();
        for (String name : ReferenceVectors.reader().names()) {
            if (name.startsWith(prefix)) {
                dict.put(name.substring(prefix.length()), ReferenceVectors.tensor(name, Device.cpu()));
            }
        }
        return dict;
    }

    Linear4bit linear4bit(QuantType qt, boolean nested) {
        var b = (qt == QuantType.NF4 ? LinearNF4.builder(256, 128) : LinearFP4.builder(256, 128));
        return track(b.computeDtype(DType.BF16).compressStatistics(nested).device(device()).seed(3).build());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lin4Cases")
    void linear4bitLoadsUpstreamsCheckpointAndReproducesItsOutput(QuantType qt, String storage, @TempDir Path dir)
            throws IOException {
        String prefix = "lin4." + qt.upstreamName() + "." + storage;
        Path file = dir.resolve("upstream.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        upstream(prefix + ".state_dict.").forEach(writer::add);
        writer.write(file);
        Linear4bit layer = linear4bit(qt, storage.equals("nested"));

        layer.eval().load(file);

        Tensor x = ReferenceVectors.tensor("lin4.x", device());
        float[] got = layer.forward(x).toFloatArray();
        float[] want = ReferenceVectors.floats(prefix + ".out");
        float[] xs = x.toFloatArray();
        float[] w = layer.weight().dequantize().toFloatArray();
        float[] bias = layer.bias().value().toFloatArray();
        double u = FourBitReference.unit(DType.BF16);
        for (int i = 0; i < 6; i++) {
            for (int j = 0; j < 128; j++) {
                double magnitude = Math.abs(bias[j]);
                for (int c = 0; c < 256; c++) {
                    magnitude += Math.abs((double) xs[i * 256 + c] * w[j * 256 + c]);
                }
                double tol = 2 * u * magnitude + 2 * u * Math.abs(want[i * 128 + j]);
                assertEquals(want[i * 128 + j], got[i * 128 + j], tol, prefix + ".out[" + i + ", " + j + "]");
            }
        }
        assertStateDictIsUpstreams(layer, prefix + ".state_dict.", dir.resolve("ours.safetensors"));
    }

    /** Writes the layer's state dict and compares keys, order, dtypes, shapes and bytes with upstream's. */
    private static void assertStateDictIsUpstreams(Module layer, String prefix, Path file) throws IOException {
        layer.save(file);
        Map<String, Tensor> want = upstream(prefix);
        try (SafetensorsReader ours = SafetensorsReader.open(file)) {
            assertEquals(want.keySet(), ours.names(), "keys");
            for (String key : want.keySet()) {
                var info = ReferenceVectors.reader().info(prefix + key);
                assertEquals(info.dtype(), ours.info(key).dtype(), key + " dtype");
                assertArrayEquals(info.shape(), ours.info(key).shape(), key + " shape");
                assertEquals(ReferenceVectors.reader().bytes(prefix + key), ours.bytes(key), key + " bytes");
            }
        }
        Map<String, Tensor> dict = layer.stateDict();
        List<String> order = new ArrayList<>(dict.keySet());
        dict.values().forEach(Tensor::close);
        List<String> expected = layer instanceof Linear8bitLt ? INT8_KEYS : expectedLin4Order(want);
        assertEquals(expected, order, "state dict order");
    }

    private static List<String> expectedLin4Order(Map<String, Tensor> want) {
        List<String> keys = new ArrayList<>(LIN4_PLAIN_KEYS);
        if (want.containsKey("weight.nested_absmax")) {
            keys.addAll(List.of("weight.nested_absmax", "weight.nested_quant_map"));
        }
        want.keySet().stream().filter(k -> k.contains("quant_state")).forEach(keys::add);
        return keys;
    }

    /** Quantizing upstream's dense weight in the layer gives upstream's absmax and (but for threshold ties) codes. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("quantTypes")
    void linear4bitQuantizesADenseWeightAsUpstream(QuantType qt) {
        String prefix = "lin4." + qt.upstreamName() + ".plain.state_dict.";
        Linear4bit layer = linear4bit(qt, false);
        Map<String, Tensor> dense = new LinkedHashMap<>();
        dense.put("weight", ReferenceVectors.tensor("lin4.W", device()));
        dense.put("bias", ReferenceVectors.tensor("lin4.bias", device()));
        layer.loadStateDict(dense);
        Params4bit p = layer.weight();
        float[] absmax = ((AbsmaxScales.Plain) p.state().scales()).absmax().toFloatArray();
        assertArrayEquals(ReferenceVectors.floats(prefix + "weight.absmax"), absmax, "absmax");
        FourBitReference.assertUpstreamCodes(qt, ReferenceVectors.floats("lin4.W"), absmax, 64,
                ReferenceVectors.bytes(prefix + "weight"), p.packed().toByteArray(), prefix + "weight");
        Map<String, Tensor> dict = layer.stateDict();
        String json = prefix + "weight.quant_state.bitsandbytes__" + qt.upstreamName();
        assertEquals(ByteBuffer.wrap(ReferenceVectors.bytes(json)),
                ByteBuffer.wrap(dict.get("weight.quant_state.bitsandbytes__" + qt.upstreamName()).toByteArray()),
                "quant state JSON");
        dict.values().forEach(Tensor::close);
    }

    static Stream<QuantType> quantTypes() {
        return Stream.of(QuantType.values());
    }

    Linear8bitLt linear8bit(int threshold) {
        return track(Linear8bitLt.builder(256, 128).hasFp16Weights(false).threshold(threshold).device(device())
                .seed(4).build());
    }

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void linear8bitLtLoadsUpstreamsCheckpointAndReproducesItsOutput(int threshold, @TempDir Path dir)
            throws IOException {
        String key = "int8.linear_th" + threshold;
        Linear8bitLt layer = linear8bit(threshold);
        layer.eval().loadStateDict(upstream(key + ".state_dict."));

        float[] got = layer.forward(ReferenceVectors.tensor("int8.A", device())).toFloatArray();
        float[] want = ReferenceVectors.floats(key + ".out");
        for (int i = 0; i < want.length; i++) {
            // as Int8MatmulConformance: upstream rounds its two parts to f16 before adding them; two f16 units
            double ulp = Math.scalb(1.0, Math.max(-24, Math.getExponent(Math.max(Math.abs(want[i]), 6.1e-5f)) - 10));
            assertTrue(Math.abs(got[i] - want[i]) <= 2 * ulp, key + ".out[" + i + "] = " + got[i] + ", upstream "
                    + want[i]);
        }
        assertStateDictIsUpstreams(layer, key + ".state_dict.", dir.resolve("ours.safetensors"));
    }

    @ParameterizedTest(name = "th{0}")
    @ValueSource(ints = {0, 6})
    void linear8bitLtQuantizesUpstreamsDenseWeightToUpstreamsStateDict(int threshold, @TempDir Path dir)
            throws IOException {
        Linear8bitLt layer = linear8bit(threshold);
        Map<String, Tensor> dense = new LinkedHashMap<>();
        dense.put("weight", ReferenceVectors.tensor("int8.W", device()));
        dense.put("bias", ReferenceVectors.tensor("int8.bias", device()));
        layer.loadStateDict(dense);
        assertStateDictIsUpstreams(layer, "int8.linear_th" + threshold + ".state_dict.", dir.resolve("q.safetensors"));
    }
}
