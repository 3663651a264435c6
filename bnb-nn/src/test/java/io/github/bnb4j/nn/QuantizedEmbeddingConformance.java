package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.core.testing.FourBitReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Embedding8bit} and {@link Embedding4bit} on every backend: the gathered-and-dequantized rows against
 * the whole table dequantized (4-bit, bit for bit, on both the partial path D % 64 == 0 and the whole-table path) and
 * against the row-wise int8 formula (8-bit); dense loads quantize, state dicts round-trip, backward refuses.
 */
abstract class QuantizedEmbeddingConformance extends NnConformance {
    static Stream<Arguments> fourBitCases() {
        return Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(QuantType.values()).flatMap(q -> Stream.of(
                Arguments.of(t, q, 9, 128), Arguments.of(t, q, 5, 40), Arguments.of(t, q, 1, 64))));
    }

    Tensor indices(int v) {
        return Tensor.fromInts(new int[] {v - 1, 0, v / 2, v - 1, v / 3}, device(), 5);
    }

    @ParameterizedTest(name = "{0} {1} V{2} D{3}")
    @MethodSource("fourBitCases")
    void fourBitRowsAreTheDequantizedTablesRows(DType t, QuantType q, int v, int d) {
        Embedding4bit e = track(Embedding4bit.builder(v, d).quantType(q).dtype(t).device(device()).seed(d).build());
        assertEquals(q, e.quantType());
        Tensor idx = indices(v);
        int[] ix = idx.toIntArray();
        float[] table = FourBit.dequantize(e.weight().packed(), e.weight().state()).toFloatArray();
        Tensor y = e.forward(idx);
        assertEquals(t, y.dtype());
        assertArrayEquals(new long[] {5, d}, y.shape());
        float[] got = y.toFloatArray();
        for (int p = 0; p < ix.length; p++) {
            for (int c = 0; c < d; c++) {
                assertEquals(table[ix[p] * d + c], got[p * d + c], "row " + ix[p] + " col " + c);
            }
        }
        // a dense nn.Embedding weight quantizes on load (upstream's way); the 4-bit entries round-trip
        float[] dense = gaussian(v * d, 4, 1, t);
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("weight", tensor(dense, t, v, d));
        e.loadStateDict(dict);
        Map<String, Tensor> saved = e.stateDict();
        String packedKey = "weight.quant_state.bitsandbytes__" + q.name().toLowerCase();
        assertEquals(List.of("weight", "weight.absmax", "weight.quant_map", packedKey), List.copyOf(saved.keySet()));
        Embedding4bit again = track(Embedding4bit.builder(v, d).quantType(q).dtype(t).device(device()).build());
        again.loadStateDict(saved);
        float[] loaded = e.forward(idx).toFloatArray();
        assertArrayEquals(loaded, again.forward(idx).toFloatArray(), "a saved table loads bit for bit");
        for (int p = 0; p < ix.length; p++) {
            for (int c = 0; c < d; c++) {
                float w = dense[ix[p] * d + c];
                double tol = 0.2 * absmaxOfBlock(dense, ix[p] * d + c, d) + 8 * FourBitReference.unit(t) * Math.abs(w);
                assertTrue(Math.abs(loaded[p * d + c] - w) <= tol, "4-bit error at row " + ix[p]);
            }
        }
    }

    private static double absmaxOfBlock(float[] v, int i, int d) {
        int start = i / 64 * 64;
        double m = 0;
        for (int j = start; j < Math.min(v.length, start + 64); j++) {
            m = Math.max(m, Math.abs(v[j]));
        }
        return m;
    }

    @Test
    void fourBitRefusesTheOtherQuantTypeAndBackward() {
        EmbeddingNF4 nf4 = track(EmbeddingNF4.builder(4, 64).device(device()).build());
        EmbeddingFP4 fp4 = track(EmbeddingFP4.builder(4, 64).device(device()).build());
        assertEquals(QuantType.NF4, nf4.quantType());
        assertThrowsNaming(IllegalArgumentException.class, () -> fp4.loadStateDict(nf4.stateDict()), "'weight'",
                "FP4");
        assertThrowsNaming(IllegalArgumentException.class, () -> EmbeddingNF4.builder(4, 64)
                .quantType(QuantType.FP4), "fixed to NF4");
        Tensor idx = indices(4);
        nf4.forward(idx).close();
        assertThrowsNaming(UnsupportedOperationException.class, () -> nf4.backward(Tensor.zeros(DType.F32,
                device(), 5, 64)), "EmbeddingNF4 (root)", "inference-only");
        assertTrue(nf4.parameters().isEmpty(), "nothing to train");
    }

    @ParameterizedTest(name = "{0} V{1} D{2}")
    @MethodSource("eightBitCases")
    void eightBitRowsAreCodesTimesScaleOver127(DType t, int v, int d) {
        Embedding8bit e = track(Embedding8bit.builder(v, d).dtype(t).device(device()).seed(d).build());
        float[] dense = gaussian(v * d, 6, 2, t);
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("weight", tensor(dense, t, v, d));
        e.loadStateDict(dict);
        Map<String, Tensor> saved = e.stateDict();
        assertEquals(List.of("weight", "SCB", "weight_format"), List.copyOf(saved.keySet()));
        byte[] cb = saved.get("weight").toByteArray();
        float[] scb = saved.get("SCB").toFloatArray();
        Tensor idx = indices(v);
        int[] ix = idx.toIntArray();
        Tensor y = e.forward(idx);
        assertEquals(t, y.dtype());
        float[] got = y.toFloatArray();
        for (int p = 0; p < ix.length; p++) {
            double absmax = 0;
            for (int c = 0; c < d; c++) {
                absmax = Math.max(absmax, Math.abs(dense[ix[p] * d + c]));
            }
            assertEquals(absmax, scb[ix[p]], 1e-6 * absmax, "SCB is the row absmax");
            for (int c = 0; c < d; c++) {
                double want = cb[ix[p] * d + c] * (double) scb[ix[p]] / 127;
                double tol = 2 * FourBitReference.unit(t) * Math.abs(want) + 1e-6 * absmax;
                assertEquals(want, got[p * d + c], tol, "row " + ix[p]);
                assertEquals(dense[ix[p] * d + c], got[p * d + c], absmax / 127 * 0.51 + tol, "quantization error");
            }
        }
        Embedding8bit again = track(Embedding8bit.builder(v, d).dtype(t).device(device()).build());
        again.loadStateDict(saved);
        assertArrayEquals(got, again.forward(idx).toFloatArray(), "a saved table loads bit for bit");
        assertThrowsNaming(UnsupportedOperationException.class, () -> e.backward(y), "Embedding8bit (root)",
                "inference-only");
    }

    static Stream<Arguments> eightBitCases() {
        return Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(Arguments.of(t, 1, 1), Arguments.of(t, 7, 33),
                Arguments.of(t, 65, 4)));
    }

    @Test
    void badStateDictsAndIndicesNameTheKeyAndTheLayer() {
        Sequential tree = track(new Sequential(Embedding8bit.builder(6, 4).device(device()).build()));
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("0.weight", Tensor.zeros(DType.I8, device(), 6, 4));
        assertThrowsNaming(IllegalArgumentException.class, () -> tree.loadStateDict(dict), "'0.weight'");
        dict.put("0.weight", Tensor.zeros(DType.F32, device(), 6, 5));
        assertThrowsNaming(IllegalArgumentException.class, () -> tree.loadStateDict(dict), "'0.weight'", "[6, 4]");
        assertThrowsNaming(IllegalArgumentException.class, () -> tree.forward(Tensor.zeros(DType.F32, device(), 2)),
                "Embedding8bit '0'", "I32 or I64");
        if (device().isCpu()) {
            assertThrowsNaming(IllegalArgumentException.class,
                    () -> tree.forward(Tensor.fromInts(new int[] {6}, device(), 1)), "Embedding8bit '0'", "6");
        }
    }
}
