package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.Int8Matmul;
import io.github.bnb4j.core.functional.QuantType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Linear4bit} and {@link Linear8bitLt} forward and backward on odd sizes and every dtype: forward equals the
 * functional op it wraps bit for bit, backward matches the double-precision product with the dequantized weight,
 * and the trainable tensors get their gradients. Upstream's vectors are in {@link UpstreamLayersConformance}.
 */
abstract class QuantizedLinearConformance extends NnConformance {
    static final int[][] SHAPES = {{1, 1, 1}, {3, 65, 5}, {4097, 4, 3}, {2, 130, 33}};

    /** The quantized layers under test. */
    enum Kind { NF4_PLAIN, FP4_NESTED, INT8_FP16_TH0, INT8_FROZEN_TH6 }

    static Stream<Arguments> cases() {
        return Stream.of(Kind.values()).flatMap(kind -> Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(SHAPES)
                .map(s -> Arguments.of(kind, t, s[0], s[1], s[2]))));
    }

    /** The layer of {@code kind} with weight W and bias b loaded as dense tensors (quantized on load). */
    Module layer(Kind kind, DType t, int k, int n, float[] w, float[] b) {
        Module layer = track(switch (kind) {
            case NF4_PLAIN -> LinearNF4.builder(k, n).computeDtype(t).compressStatistics(false).device(device())
                    .seed(2).build();
            case FP4_NESTED -> LinearFP4.builder(k, n).computeDtype(t).device(device()).seed(2).build();
            case INT8_FP16_TH0 -> Linear8bitLt.builder(k, n).dtype(t).device(device()).seed(2).build();
            case INT8_FROZEN_TH6 -> Linear8bitLt.builder(k, n).dtype(t).hasFp16Weights(false).threshold(6)
                    .device(device()).seed(2).build();
        });
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("weight", tensor(w, t, n, k));
        dict.put("bias", tensor(b, t, n));
        layer.loadStateDict(dict);
        return layer;
    }

    /** The layer's weight as the product sees it, in f32. */
    static float[] dequantized(Module layer) {
        if (layer instanceof Linear4bit l4) {
            Params4bit p = l4.weight();
            try (Tensor out = Tensor.empty(DType.F32, p.device(), p.state().shape())) {
                FourBit.dequantizeInto(p.packed(), p.state(), out);
                return out.toFloatArray();
            }
        }
        try (Tensor w = ((Linear8bitLt) layer).weight().int8().dequantize(DType.F32)) {
            return w.toFloatArray();
        }
    }

    /** The functional op the layer wraps, called directly. */
    static Tensor functional(Module layer, Tensor x, Tensor bias) {
        if (layer instanceof Linear4bit l4) {
            return FourBit.matmul4bit(x, l4.weight().packed(), l4.weight().state(), bias);
        }
        return Int8Matmul.matmul(x, ((Linear8bitLt) layer).weight().state(), bias);
    }

    @ParameterizedTest(name = "{0} {1} M{2} K{3} N{4}")
    @MethodSource("cases")
    void forwardIsTheOpAndBackwardMatchesTheDequantizedProduct(Kind kind, DType t, int m, int k, int n) {
        float[] w = gaussian(n * k, 13L * k + n, 1 / Math.sqrt(k), t);
        float[] b = gaussian(n, 4, 1, t);
        float[] x = gaussian(m * k, 5L * m + k, 1, t);
        if (kind == Kind.INT8_FROZEN_TH6 && k > 1) {
            x[k - 1] = 9; // an outlier column for the 16-bit part of the decomposition
        }
        float[] g = gaussian(m * n, 9L * m + n, 1, t);
        Module layer = layer(kind, t, k, n, w, b);
        Tensor input = tensor(x, t, m, k);
        Tensor bias = tensor(b, t, n);

        Tensor y = layer.forward(input);
        assertArrayEquals(new long[] {m, n}, y.shape());
        assertArrayEquals(functional(layer, input, bias).toFloatArray(), y.toFloatArray(), "forward = the op");

        float[] wq = dequantized(layer);
        Tensor dx = layer.backward(tensor(g, t, m, n));
        assertArrayEquals(new long[] {m, k}, dx.shape());
        assertClose(matmul(g, wq, m, n, k, false), magnitude(g, wq, m, n, k, false), dx.toFloatArray(), t, "dx");
        ParameterSlot biasSlot = layer instanceof Linear4bit l4 ? l4.bias() : ((Linear8bitLt) layer).bias();
        assertClose(columnSums(g, m, n), columnSums(abs(g), m, n), biasSlot.parameter().grad().toFloatArray(), t,
                "grad(b)");
        if (layer instanceof Linear8bitLt l8 && l8.hasFp16Weights()) {
            assertClose(transposedProduct(g, x, m, n, k), transposedProduct(abs(g), abs(x), m, n, k),
                    l8.weight16().parameter().grad().toFloatArray(), t, "grad(W)");
            assertEquals(List.of(l8.weight16().parameter(), l8.bias().parameter()), layer.parameters());
        } else {
            assertEquals(List.of(biasSlot.parameter()), layer.parameters(), "only the bias trains");
        }
    }

    @Test
    void aSixteenBitWeightIsQuantizedAgainAfterItChanges() {
        DType t = DType.F16;
        Linear8bitLt layer = (Linear8bitLt) layer(Kind.INT8_FP16_TH0, t, 4, 2,
                new float[] {1, 0, 0, 0, -1, 0, 0, 0}, new float[] {0, 0});
        Tensor x = tensor(new float[] {1, 0, 0, 0}, t, 1, 4);
        assertArrayEquals(new float[] {1, -1}, layer.forward(x).toFloatArray(), 1e-3f);
        layer.loadStateDict(Map.of("weight", tensor(new float[] {2, 0, 0, 0, -5, 0, 0, 0}, t, 2, 4),
                "bias", tensor(new float[] {0, 0}, t, 2)));
        assertArrayEquals(new float[] {2, -5}, layer.forward(x).toFloatArray(), 1e-2f);
    }

    @Test
    void linear4bitDefaultsAreUpstreams() {
        Linear4bit l = track(new Linear4bit(64, 3));
        assertEquals(QuantType.FP4, l.quantType());
        assertEquals(64, l.options().blocksize().value());
        assertEquals(true, l.weight().isNested());
        assertEquals(DType.F32, l.dtype());
        assertFalse(l.computeDtype().isPresent());
        assertEquals(QuantType.NF4, track(new LinearNF4(64, 3)).quantType());
        assertEquals(QuantType.FP4, track(new LinearFP4(64, 3)).quantType());
        assertThrowsNaming(IllegalArgumentException.class, () -> LinearNF4.builder(4, 4).quantType(QuantType.FP4),
                "fixed to NF4");
        Linear8bitLt l8 = track(new Linear8bitLt(4, 3));
        assertEquals(true, l8.hasFp16Weights());
        assertEquals(0f, l8.threshold());
        assertEquals(DType.F16, l8.dtype());
        Linear8bitLt noBias = track(Linear8bitLt.builder(4, 3).bias(false).build());
        assertNull(noBias.bias());
    }

    @Test
    void linear4bitCastsAsUpstream() {
        int k = 64;
        int n = 3;
        float[] x = gaussian(2 * k, 9, 1, DType.F16);
        // computeDtype BF16 with an F32 input: x and bias cast to BF16, the product in BF16, the output back to F32
        Linear4bit l4 = track(LinearNF4.builder(k, n).computeDtype(DType.BF16).device(device()).seed(3).build());
        Tensor in32 = tensor(x, DType.F32, 2, k);
        Tensor out = l4.forward(in32);
        assertEquals(DType.F32, out.dtype());
        Tensor dx = l4.backward(tensor(new float[2 * n], DType.F32, 2, n));
        assertEquals(DType.F32, dx.dtype());
        assertEquals(DType.BF16, l4.bias().parameter().grad().dtype(), "the bias's gradient keeps its dtype");
        float[] want = l4.forward(tensor(x, DType.BF16, 2, k)).toFloatArray();
        assertArrayEquals(want, out.toFloatArray(), "computes in BF16, returns F32");
        // unset: the first F32/BF16 input sets the compute dtype; F16 inputs compute in F16 with an F32 bias
        Linear4bit unset = track(LinearNF4.builder(k, n).device(device()).seed(3).build());
        Tensor y16 = unset.forward(tensor(x, DType.F16, 2, k));
        assertEquals(DType.F16, y16.dtype());
        assertFalse(unset.computeDtype().isPresent(), "F16 input leaves it unset");
        unset.forward(tensor(x, DType.BF16, 2, k));
        assertEquals(DType.BF16, unset.computeDtype().orElseThrow(), "set once by the first BF16 input");
        assertThrowsNaming(IllegalArgumentException.class, () -> l4.forward(Tensor.zeros(DType.I32, device(), 1, k)),
                "LinearNF4 (root)", "F32, F16 or BF16", "I32");
        Linear8bitLt l8 = track(Linear8bitLt.builder(4, 2).device(device()).build());
        assertThrowsNaming(IllegalArgumentException.class, () -> l8.forward(Tensor.zeros(DType.F16, device(), 1, 5)),
                "Linear8bitLt (root)", "[..., 4]");
    }
}
