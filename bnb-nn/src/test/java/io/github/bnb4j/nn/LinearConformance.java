package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Linear} forward and backward against the double-precision product, run on every backend. */
abstract class LinearConformance extends NnConformance {
    /** M, K, N: single rows and features, odd sizes, 4097 rows. */
    static final int[][] SHAPES = {{1, 1, 1}, {3, 4, 3}, {5, 33, 7}, {4097, 3, 2}, {2, 4097, 3}};

    static Stream<Arguments> cases() {
        return Stream.of(FLOAT_TYPES).flatMap(t -> Stream.of(SHAPES).flatMap(s -> Stream.of(true, false)
                .map(bias -> Arguments.of(t, s[0], s[1], s[2], bias))));
    }

    /** A layer with known weights: W, b from N(0, 1/K) rounded to the dtype. */
    Linear layer(DType t, int k, int n, boolean bias, float[] w, float[] b) {
        Linear layer = track(Linear.builder(k, n).dtype(t).bias(bias).device(device()).seed(1).build());
        Map<String, Tensor> dict = new LinkedHashMap<>();
        dict.put("weight", tensor(w, t, n, k));
        if (bias) {
            dict.put("bias", tensor(b, t, n));
        }
        layer.loadStateDict(dict);
        return layer;
    }

    @ParameterizedTest(name = "{0} M{1} K{2} N{3} bias={4}")
    @MethodSource("cases")
    void forwardAndBackwardMatchTheDenseProduct(DType t, int m, int k, int n, boolean bias) {
        float[] w = gaussian(n * k, 11L * k + n, 1 / Math.sqrt(k), t);
        float[] b = gaussian(n, 5, 1, t);
        float[] x = gaussian(m * k, 3L * m + k, 1, t);
        float[] g = gaussian(m * n, 7L * m + n, 1, t);
        Linear layer = layer(t, k, n, bias, w, b);
        Tensor input = tensor(x, t, m, k);

        Tensor y = layer.forward(input);
        assertArrayEquals(new long[] {m, n}, y.shape());
        assertEquals(t, y.dtype());
        double[] want = matmul(x, w, m, k, n, true);
        double[] mag = magnitude(x, w, m, k, n, true);
        for (int i = 0; i < m * n && bias; i++) {
            want[i] += b[i % n];
            mag[i] += Math.abs(b[i % n]);
        }
        assertClose(want, mag, y.toFloatArray(), t, "y");

        Tensor dx = layer.backward(tensor(g, t, m, n));
        assertArrayEquals(new long[] {m, k}, dx.shape());
        assertClose(matmul(g, w, m, n, k, false), magnitude(g, w, m, n, k, false), dx.toFloatArray(), t, "dx");
        assertClose(transposedProduct(g, x, m, n, k), transposedProduct(abs(g), abs(x), m, n, k),
                layer.weight().parameter().grad().toFloatArray(), t, "grad(W)");
        if (bias) {
            double[] sums = columnSums(g, m, n);
            assertClose(sums, columnSums(abs(g), m, n), layer.bias().parameter().grad().toFloatArray(), t,
                    "grad(b)");
        } else {
            assertNull(layer.bias());
        }
    }

    @Test
    void gradientsAccumulateOverBackwardsAndLeadingDimensionsFlatten() {
        DType t = DType.F32;
        float[] w = gaussian(6, 1, 1, t);
        float[] x = gaussian(12, 2, 1, t);
        float[] g = gaussian(8, 3, 1, t);
        Linear layer = layer(t, 3, 2, true, w, new float[] {0.5f, -1});
        for (int pass = 1; pass <= 2; pass++) {
            Tensor y = layer.forward(tensor(x, t, 2, 2, 3));
            assertArrayEquals(new long[] {2, 2, 2}, y.shape());
            Tensor dx = layer.backward(tensor(g, t, 2, 2, 2));
            assertArrayEquals(new long[] {2, 2, 3}, dx.shape());
            double[] dw = transposedProduct(g, x, 4, 2, 3);
            double[] db = columnSums(g, 4, 2);
            for (int i = 0; i < dw.length; i++) {
                dw[i] *= pass;
            }
            for (int i = 0; i < db.length; i++) {
                db[i] *= pass;
            }
            assertClose(dw, transposedProduct(abs(g), abs(x), 4, 2, 3), layer.weight().parameter().grad()
                    .toFloatArray(), t, "grad(W) after " + pass);
            assertClose(db, columnSums(abs(g), 4, 2), layer.bias().parameter().grad().toFloatArray(), t,
                    "grad(b) after " + pass);
        }
    }

    @Test
    void anEmptyBatchGivesEmptyResultsAndNoGradient() {
        Linear layer = track(Linear.builder(3, 2).device(device()).seed(1).build());
        Tensor y = layer.forward(Tensor.zeros(DType.F32, device(), 0, 3));
        assertArrayEquals(new long[] {0, 2}, y.shape());
        Tensor dx = layer.backward(Tensor.zeros(DType.F32, device(), 0, 2));
        assertArrayEquals(new long[] {0, 3}, dx.shape());
        assertNull(layer.weight().parameter().grad());
    }

    @Test
    void badInputNamesTheLayerTheArgumentAndTheValue() {
        Linear inner = Linear.builder(3, 2).device(device()).seed(1).build();
        Sequential model = track(new Sequential(inner));
        assertThrowsNaming(IllegalArgumentException.class,
                () -> model.forward(Tensor.zeros(DType.F32, device(), 2, 4)), "Linear '0'", "input", "[..., 3]",
                "[2, 4]");
        assertThrowsNaming(IllegalArgumentException.class,
                () -> model.forward(Tensor.zeros(DType.F16, device(), 2, 3)), "Linear '0'", "F32", "F16");
        assertThrowsNaming(IllegalStateException.class,
                () -> inner.backward(Tensor.zeros(DType.F32, device(), 2, 2)), "Linear '0'", "backward before forward");
        inner.forward(Tensor.zeros(DType.F32, device(), 2, 3));
        assertThrowsNaming(IllegalArgumentException.class,
                () -> inner.backward(Tensor.zeros(DType.F32, device(), 3, 2)), "Linear '0'", "gradOutput", "[2, 2]");
        inner.backward(Tensor.zeros(DType.F32, device(), 2, 2));
        assertThrowsNaming(IllegalStateException.class,
                () -> inner.backward(Tensor.zeros(DType.F32, device(), 2, 2)), "backward before forward");
        model.eval();
        model.forward(Tensor.zeros(DType.F32, device(), 2, 3));
        assertThrowsNaming(IllegalStateException.class,
                () -> model.backward(Tensor.zeros(DType.F32, device(), 2, 2)), "Sequential (root)", "eval mode");
        model.close();
        assertThrowsNaming(IllegalStateException.class,
                () -> model.forward(Tensor.zeros(DType.F32, device(), 2, 3)), "Sequential (root)", "closed");
        assertThrowsNaming(IllegalStateException.class,
                () -> inner.forward(Tensor.zeros(DType.F32, device(), 2, 3)), "Linear '0'", "closed");
        model.close();
    }
}
