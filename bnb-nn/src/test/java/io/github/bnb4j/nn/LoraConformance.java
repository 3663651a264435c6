package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Dropout;
import io.github.bnb4j.core.functional.nn.DropoutMask;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link LoraLinear} on dense, 4-bit and int8 bases against the double-precision LoRA formulas. */
abstract class LoraConformance extends NnConformance {
    /** M, K, N, r. */
    static final int[][] SHAPES = {{1, 3, 2, 1}, {5, 65, 7, 4}, {4097, 4, 3, 2}};

    /** The bases under test, each with its dtype. */
    enum Base { LINEAR_F32, LINEAR_BF16, NF4_BF16, INT8_FROZEN_F16, INT8_FP16_F32 }

    static Stream<Arguments> cases() {
        return Stream.of(Base.values()).flatMap(b -> Stream.of(SHAPES).map(s -> Arguments.of(b, s[0], s[1], s[2],
                s[3])));
    }

    static DType dtype(Base b) {
        return switch (b) {
            case LINEAR_F32, INT8_FP16_F32 -> DType.F32;
            case LINEAR_BF16, NF4_BF16 -> DType.BF16;
            case INT8_FROZEN_F16 -> DType.F16;
        };
    }

    LinearLayer base(Base b, int k, int n) {
        DType t = dtype(b);
        return switch (b) {
            case LINEAR_F32, LINEAR_BF16 -> Linear.builder(k, n).dtype(t).device(device()).seed(5).build();
            case NF4_BF16 -> LinearNF4.builder(k, n).computeDtype(t).device(device()).seed(5).build();
            case INT8_FROZEN_F16 -> Linear8bitLt.builder(k, n).dtype(t).hasFp16Weights(false).device(device()).seed(5)
                    .build();
            case INT8_FP16_F32 -> Linear8bitLt.builder(k, n).dtype(t).device(device()).seed(5).build();
        };
    }

    @ParameterizedTest(name = "{0} M{1} K{2} N{3} r{4}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheLoraFormulas(Base kind, int m, int k, int n, int r) {
        DType t = dtype(kind);
        LinearLayer base = base(kind, k, n);
        LoraLinear lora = track(LoraLinear.builder(base).rank(r).alpha(2 * r + 1).seed(6).build());
        float s = (2f * r + 1) / r;
        assertEquals(s, lora.scaling());
        float[] w = gaussian(n * k, 1, 1 / Math.sqrt(k), t);
        float[] a = gaussian(r * k, 2, 1 / Math.sqrt(k), t);
        float[] bm = gaussian(n * r, 3, 0.5, t);
        float[] x = gaussian(m * k, 4, 1, t);
        float[] g = gaussian(m * n, 5, 1, t);
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("base_layer.weight", tensor(w, t, n, k));
        dict.put("base_layer.bias", tensor(gaussian(n, 7, 1, t), t, n));
        dict.put("lora_A.weight", tensor(a, t, r, k));
        dict.put("lora_B.weight", tensor(bm, t, n, r));
        lora.loadStateDict(dict);
        Tensor input = tensor(x, t, m, k);

        float[] baseOut = base.module().forward(input).toFloatArray();
        float[] y = lora.forward(input).toFloatArray();
        double[] h = matmul(x, a, m, k, r, true);
        double[] hMag = magnitude(x, a, m, k, r, true);
        float[] hf = toFloats(h);
        double[] want = matmul(hf, bm, m, r, n, true);
        double[] mag = matmul(toFloats(hMag), abs(bm), m, r, n, true);
        for (int i = 0; i < want.length; i++) {
            want[i] = baseOut[i] + s * want[i];
            mag[i] = Math.abs(baseOut[i]) + s * mag[i];
        }
        assertClose(want, mag, y, t, "y");

        float[] wq = base instanceof Linear ? w : QuantizedLinearConformance.dequantized(base.module());
        float[] dx = lora.backward(tensor(g, t, m, n)).toFloatArray();
        double[] dh = matmul(g, bm, m, n, r, false);
        double[] dhMag = magnitude(g, bm, m, n, r, false);
        for (int i = 0; i < dh.length; i++) {
            dh[i] *= s;
            dhMag[i] *= s;
        }
        double[] wantDx = matmul(g, wq, m, n, k, false);
        double[] magDx = magnitude(g, wq, m, n, k, false);
        double[] loraDx = matmul(toFloats(dh), a, m, r, k, false);
        double[] loraMag = matmul(toFloats(dhMag), abs(a), m, r, k, false);
        for (int i = 0; i < wantDx.length; i++) {
            wantDx[i] += loraDx[i];
            magDx[i] += loraMag[i];
        }
        assertClose(wantDx, magDx, dx, t, "dx");
        double[] gradB = transposedProduct(g, hf, m, n, r);
        double[] gradBMag = transposedProduct(abs(g), toFloats(hMag), m, n, r);
        for (int i = 0; i < gradB.length; i++) {
            gradB[i] *= s;
            gradBMag[i] *= s;
        }
        assertClose(gradB, gradBMag, lora.loraB().parameter().grad().toFloatArray(), t, "grad(B)");
        assertClose(transposedProduct(toFloats(dh), x, m, r, k), transposedProduct(toFloats(dhMag), abs(x), m, r, k),
                lora.loraA().parameter().grad().toFloatArray(), t, "grad(A)");
        assertEquals(List.of(lora.loraA().parameter(), lora.loraB().parameter()), lora.parameters(),
                "the base is frozen");
        for (ParameterSlot slot : base.module().ownSlots()) {
            assertNull(slot.parameter().grad(), "frozen base parameter " + slot.name());
        }
    }

    @Test
    void startsAsTheBaseWithPeftsInitialisation() {
        Linear base = Linear.builder(16, 4).device(device()).seed(1).build();
        LoraLinear lora = track(LoraLinear.builder(base).seed(2).build());
        assertEquals(8, lora.rank());
        assertEquals(1f, lora.scaling());
        assertEquals(0f, lora.dropout());
        float[] a = lora.loraA().value().toFloatArray();
        assertArrayEquals(new long[] {8, 16}, lora.loraA().value().shape());
        assertTrue(java.util.Arrays.stream(toDoubles(a)).allMatch(v -> Math.abs(v) <= 0.25) && a[0] != a[1], "A");
        assertArrayEquals(new float[4 * 8], lora.loraB().value().toFloatArray(), "B starts at zero");
        Tensor x = tensor(gaussian(32, 3, 1, DType.F32), DType.F32, 2, 16);
        assertArrayEquals(base.forward(x).toFloatArray(), lora.forward(x).toFloatArray());
        // PyTorch's order: a module's own parameters, then its children's
        assertEquals(List.of("lora_A.weight", "lora_B.weight", "base_layer.weight", "base_layer.bias"),
                List.copyOf(lora.stateDict().keySet()));
        assertEquals("Linear 'base_layer'", base.toString());
    }

    private static double[] toDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Test
    void mergeFoldsTheAdapterIntoADenseBaseOnly() {
        Linear base = Linear.builder(5, 3).device(device()).seed(1).build();
        LoraLinear lora = track(LoraLinear.builder(base).rank(2).alpha(3).seed(2).build());
        lora.loadStateDict(Map.of("base_layer.weight", base.weight().value(), "base_layer.bias",
                base.bias().value(), "lora_A.weight", lora.loraA().value(), "lora_B.weight",
                tensor(gaussian(6, 9, 1, DType.F32), DType.F32, 3, 2)));
        Tensor x = tensor(gaussian(10, 3, 1, DType.F32), DType.F32, 2, 5);
        lora.eval();
        float[] before = lora.forward(x).toFloatArray();
        lora.merge();
        lora.merge();
        assertTrue(lora.isMerged());
        float[] after = lora.forward(x).toFloatArray();
        float[] baseOnly = base.forward(x).toFloatArray();
        assertArrayEquals(baseOnly, after, "after merge the output is the base's");
        assertArrayEquals(before, after, 1e-5f, "merging keeps the function");

        LoraLinear quantized = track(LoraLinear.builder(LinearNF4.builder(64, 2).device(device()).build()).build());
        assertThrowsNaming(UnsupportedOperationException.class, quantized::merge, "LoraLinear (root)",
                "LinearNF4", "re-quantize");
    }

    @Test
    void dropoutInTrainingGoesThroughTheMaskBothWays() {
        int m = 5;
        int k = 9;
        int n = 3;
        int r = 2;
        Linear base = Linear.builder(k, n).device(device()).seed(1).build();
        LoraLinear lora = track(LoraLinear.builder(base).rank(r).dropout(0.3f).seed(4).build());
        float[] a = gaussian(r * k, 2, 0.5, DType.F32);
        float[] bm = gaussian(n * r, 3, 0.5, DType.F32);
        float[] x = gaussian(m * k, 4, 1, DType.F32);
        float[] g = gaussian(m * n, 5, 1, DType.F32);
        Map<String, Tensor> dict = new LinkedHashMap<>(base.stateDict());
        dict.replaceAll((key, v) -> v.to(device()));
        Map<String, Tensor> full = new LinkedHashMap<>();
        dict.forEach((key, v) -> full.put("base_layer." + key, v));
        full.put("lora_A.weight", tensor(a, DType.F32, r, k));
        full.put("lora_B.weight", tensor(bm, DType.F32, n, r));
        lora.loadStateDict(full);
        Tensor input = tensor(x, DType.F32, m, k);
        DropoutMask first = lora.nextDropoutMask();
        lora.forward(input).close();
        DropoutMask mask = lora.nextDropoutMask();
        assertEquals(first.next(m * k), mask, "each training forward draws the next mask");
        float[] y = lora.forward(input).toFloatArray();
        float[] dropped = Dropout.forward(input, mask).toFloatArray();
        float s = lora.scaling();
        float[] baseOut = base.forward(input).toFloatArray();
        float[] hf = toFloats(matmul(dropped, a, m, k, r, true));
        double[] want = matmul(hf, bm, m, r, n, true);
        double[] mag = matmul(toFloats(magnitude(dropped, a, m, k, r, true)), abs(bm), m, r, n, true);
        for (int i = 0; i < want.length; i++) {
            want[i] = baseOut[i] + s * want[i];
            mag[i] = 2 * Math.abs(baseOut[i]) + 2 * s * mag[i];
        }
        assertClose(want, mag, y, DType.F32, "y with dropout");

        float[] dx = lora.backward(tensor(g, DType.F32, m, n)).toFloatArray();
        double[] dh = matmul(g, bm, m, n, r, false);
        for (int i = 0; i < dh.length; i++) {
            dh[i] *= s;
        }
        float[] adapterDx = Dropout.backward(tensor(toFloats(matmul(toFloats(dh), a, m, r, k, false)), DType.F32, m,
                k), mask).toFloatArray();
        float[] w = base.weight().value().toFloatArray();
        double[] wantDx = matmul(g, w, m, n, k, false);
        double[] magDx = magnitude(g, w, m, n, k, false);
        double[] adapterMag = matmul(toFloats(magnitude(g, bm, m, n, r, false)), abs(a), m, r, k, false);
        for (int i = 0; i < wantDx.length; i++) {
            wantDx[i] += adapterDx[i];
            magDx[i] += 2 * s * adapterMag[i];
        }
        assertClose(wantDx, magDx, dx, DType.F32, "dx through the mask");
        assertClose(transposedProduct(toFloats(dh), dropped, m, r, k),
                transposedProduct(abs(toFloats(dh)), abs(dropped), m, r, k),
                lora.loraA().parameter().grad().toFloatArray(), DType.F32, "grad(A) from drop(x)");

        lora.eval();
        float[] evalY = lora.forward(input).toFloatArray();
        double[] wantEval = matmul(toFloats(matmul(x, a, m, k, r, true)), bm, m, r, n, true);
        double[] magEval = matmul(toFloats(magnitude(x, a, m, k, r, true)), abs(bm), m, r, n, true);
        for (int i = 0; i < wantEval.length; i++) {
            wantEval[i] = baseOut[i] + s * wantEval[i];
            magEval[i] = 2 * Math.abs(baseOut[i]) + 2 * s * magEval[i];
        }
        assertClose(wantEval, magEval, evalY, DType.F32, "eval: no dropout");
        assertEquals(mask.next(m * k), lora.nextDropoutMask(), "eval draws no mask");
        assertThrowsNaming(IllegalArgumentException.class, () -> LoraLinear.builder(base).dropout(1f), "[0, 1)");
        assertThrowsNaming(IllegalArgumentException.class, () -> LoraLinear.builder(base).rank(0), "rank", "0");
        assertThrowsNaming(IllegalArgumentException.class, () -> LoraLinear.builder(base).build(),
                "already has a parent");
    }
}
