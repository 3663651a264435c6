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
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.IndexErrors;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Embedding} and {@link StableEmbedding} on every backend: lookups exact, the sparse row gradient and
 * StableEmbedding's LayerNorm against double-precision references, upstream's initialisation and 32-bit optimizer
 * override, odd sizes, every dtype, bad input naming the layer.
 */
abstract class EmbeddingLayersConformance extends NnConformance {
    /** V, D. */
    static final int[][] SIZES = {{1, 1}, {7, 5}, {300, 33}};

    static Stream<Arguments> cases() {
        return Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(SIZES).map(s -> Arguments.of(t, s[0], s[1])));
    }

    /** Indices [2, 3] with repeats (I64 and I32 alternately), each in [0, v). */
    Tensor indices(int v, boolean i64) {
        long[] idx = {v - 1, 0, v / 2, v - 1, 0, v - 1};
        if (i64) {
            return Tensor.fromLongs(idx, device(), 2, 3);
        }
        int[] i32 = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            i32[i] = (int) idx[i];
        }
        return Tensor.fromInts(i32, device(), 2, 3);
    }

    @ParameterizedTest(name = "{0} V{1} D{2}")
    @MethodSource("cases")
    void embeddingLooksUpRowsAndScatterAddsTheirGradient(DType t, int v, int d) {
        Embedding e = track(Embedding.builder(v, d).dtype(t).device(device()).seed(v).build());
        float[] w = e.weight().value().toFloatArray();
        for (boolean i64 : new boolean[] {true, false}) {
            Tensor idx = indices(v, i64);
            long[] ix = idx.dtype() == DType.I64 ? idx.toLongArray() : toLongs(idx.toIntArray());
            Tensor y = e.forward(idx);
            assertArrayEquals(new long[] {2, 3, d}, y.shape());
            float[] got = y.toFloatArray();
            for (int p = 0; p < ix.length; p++) {
                for (int c = 0; c < d; c++) {
                    assertEquals(w[(int) ix[p] * d + c], got[p * d + c], "row " + ix[p]);
                }
            }
            float[] g = gaussian(6 * d, 3, 1, t);
            assertNull(e.backward(tensor(g, t, 2, 3, d)), "indices have no gradient");
            if (!i64) {
                double[] want = new double[v * d];
                double[] mag = new double[v * d];
                for (int p = 0; p < ix.length; p++) {
                    for (int c = 0; c < d; c++) {
                        want[(int) ix[p] * d + c] += 2 * g[p * d + c]; // two backwards accumulated
                        mag[(int) ix[p] * d + c] += 2 * Math.abs(g[p * d + c]);
                    }
                }
                assertClose(want, mag, e.weight().parameter().grad().toFloatArray(), t, "grad(weight)");
            }
        }
    }

    @Test
    void initialisationPaddingAndTheThirtyTwoBitOverrideAreUpstreams() {
        int v = 128;
        int d = 64;
        Embedding e = track(Embedding.builder(v, d).paddingIdx(-1).device(device()).seed(1).build());
        assertEquals(v - 1, e.paddingIdx().orElseThrow());
        float[] w = e.weight().value().toFloatArray();
        double bound = Math.sqrt(6.0 / (v + d));
        double sumSq = 0;
        for (int i = 0; i < w.length; i++) {
            assertTrue(Math.abs(w[i]) <= bound, "xavier bound");
            assertTrue(i < (v - 1) * d || w[i] == 0f, "the padding row starts as zeros");
            sumSq += w[i] * w[i];
        }
        assertEquals(bound * bound / 3, sumSq / ((v - 1) * d), 0.1 * bound * bound / 3, "U(-b, b) variance");
        Tensor idx = Tensor.fromLongs(new long[] {v - 1, 3}, device(), 2);
        e.forward(idx).close();
        e.backward(tensor(gaussian(2 * d, 2, 1, DType.F32), DType.F32, 2, d));
        float[] grad = e.weight().parameter().grad().toFloatArray();
        for (int c = 0; c < d; c++) {
            assertEquals(0f, grad[(v - 1) * d + c], "the padding row gets no gradient");
        }
        Parameter dense = new Parameter("dense", Tensor.zeros(DType.F32, device(), v, d));
        dense.setGrad(Tensor.zeros(DType.F32, device(), v, d));
        StableEmbedding s = track(StableEmbedding.builder(v, d).device(device()).build());
        s.forward(idx).close();
        s.backward(Tensor.zeros(DType.F32, device(), 2, d));
        try (Optimizer adam = new Adam8bit(List.of(e.weight().parameter(), dense, s.weight().parameter()))) {
            adam.step();
            assertEquals(DType.F32, adam.state(e.weight().parameter()).state1().dtype(), "Embedding: 32-bit state");
            assertEquals(DType.F32, adam.state(s.weight().parameter()).state1().dtype(), "StableEmbedding too");
            assertEquals(DType.U8, adam.state(dense).state1().dtype(), "other parameters stay 8-bit");
        } finally {
            dense.close();
        }
    }

    @ParameterizedTest(name = "{0} V{1} D{2}")
    @MethodSource("cases")
    void stableEmbeddingNormalizesInF32AndBackpropagatesThroughTheNorm(DType t, int v, int d) {
        StableEmbedding s = track(StableEmbedding.builder(v, d).dtype(t).device(device()).seed(v).build());
        assertEquals(List.of("weight", "norm.weight", "norm.bias"), List.copyOf(s.stateDict().keySet()));
        float[] w = s.weight().value().toFloatArray();
        Tensor idx = indices(v, true);
        long[] ix = idx.toLongArray();
        float[] y = s.forward(idx).toFloatArray();
        float[] g = gaussian(6 * d, 5, 1, t);
        assertNull(s.backward(tensor(g, t, 2, 3, d)));
        double[] wantY = new double[6 * d];
        double[] wantGrad = new double[v * d];
        double[] magGrad = new double[v * d];
        double[] gradGamma = new double[d];
        for (int p = 0; p < 6; p++) {
            int row = (int) ix[p];
            double mean = 0;
            for (int c = 0; c < d; c++) {
                mean += w[row * d + c];
            }
            mean /= d;
            double var = 0;
            for (int c = 0; c < d; c++) {
                var += Math.pow(w[row * d + c] - mean, 2);
            }
            double rstd = 1 / Math.sqrt(var / d + 1e-5);
            double mg = 0;
            double mgx = 0;
            for (int c = 0; c < d; c++) {
                double xhat = (w[row * d + c] - mean) * rstd;
                wantY[p * d + c] = xhat;
                mg += g[p * d + c] / (double) d;
                mgx += g[p * d + c] * xhat / d;
                gradGamma[c] += g[p * d + c] * xhat;
            }
            for (int c = 0; c < d; c++) {
                double xhat = (w[row * d + c] - mean) * rstd;
                wantGrad[row * d + c] += rstd * (g[p * d + c] - mg - xhat * mgx);
                magGrad[row * d + c] += rstd * (Math.abs(g[p * d + c]) + Math.abs(mg) + Math.abs(xhat * mgx)) * 4;
            }
        }
        double[] magY = new double[wantY.length];
        java.util.Arrays.fill(magY, 4);
        assertClose(wantY, magY, y, t, "y");
        assertClose(wantGrad, magGrad, s.weight().parameter().grad().toFloatArray(), t, "grad(weight)");
        double[] magGamma = new double[d];
        java.util.Arrays.fill(magGamma, 100);
        assertClose(gradGamma, magGamma, s.norm().weight().parameter().grad().toFloatArray(), DType.F32,
                "grad(norm.weight)");
        assertEquals(DType.F32, s.norm().weight().value().dtype(), "the norm is F32 whatever the table's dtype");
    }

    @Test
    void badInputNamesTheLayer() {
        Embedding e = track(Embedding.builder(5, 3).device(device()).build());
        Sequential tree = track(new Sequential(Embedding.builder(5, 3).device(device()).build()));
        assertThrowsNaming(IllegalArgumentException.class,
                () -> e.forward(Tensor.zeros(DType.F32, device(), 2)), "Embedding (root)", "I32 or I64", "F32");
        assertThrowsNaming(IllegalStateException.class, () -> tree.get(0).backward(Tensor.zeros(DType.F32,
                device(), 2, 3)), "Embedding '0'", "backward before forward");
        Tensor bad = Tensor.fromLongs(new long[] {1, 5}, device(), 2);
        if (device().isCpu()) {
            assertThrowsNaming(IllegalArgumentException.class, () -> e.forward(bad), "Embedding (root)", "5");
        } else {
            e.forward(bad).close();
            assertThrowsNaming(IllegalArgumentException.class, () -> IndexErrors.check(device()), "5");
        }
        Tensor idx = Tensor.fromLongs(new long[] {1, 2}, device(), 2);
        e.forward(idx).close();
        assertThrowsNaming(IllegalArgumentException.class, () -> e.backward(Tensor.zeros(DType.F32, device(), 2, 4)),
                "Embedding (root)", "gradOutput", "[2, 3]");
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("0.weight", Tensor.zeros(DType.F32, device(), 5, 4));
        assertThrowsNaming(IllegalArgumentException.class, () -> tree.loadStateDict(dict), "'0.weight'", "[5, 3]");
        assertThrowsNaming(IllegalArgumentException.class, () -> Embedding.builder(5, 3).paddingIdx(5),
                "paddingIdx", "5");
        e.close();
        assertThrowsNaming(IllegalStateException.class, () -> e.forward(idx), "closed");
    }

    static long[] toLongs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
