package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link CrossEntropyLoss} against the double-precision softmax formulas, and the backward of a whole
 * {@code Sequential(Linear, Tanh, Linear)} + loss against central finite differences of the loss, on every backend.
 */
abstract class LossConformance extends NnConformance {
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void crossEntropyMatchesTheSoftmaxFormulas(DType t) {
        int m = 5;
        int c = 7;
        float[] logits = gaussian(m * c, 41, 3, t);
        long[] labels = {6, -100, 0, 3, 6};
        try (CrossEntropyLoss loss = new CrossEntropyLoss()) {
            Tensor lt = tensor(logits, t, m, c);
            Tensor value = loss.forward(lt, Tensor.fromLongs(labels, device(), m));
            assertEquals(DType.F32, value.dtype());
            assertEquals(0, value.rank());
            float[] grad = loss.backward().toFloatArray();
            double total = 0;
            double[] want = new double[m * c];
            for (int r = 0; r < m; r++) {
                if (labels[r] == -100) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < c; k++) {
                    max = Math.max(max, logits[r * c + k]);
                }
                double sum = 0;
                for (int k = 0; k < c; k++) {
                    sum += Math.exp(logits[r * c + k] - max);
                }
                total += Math.log(sum) + max - logits[r * c + (int) labels[r]];
                for (int k = 0; k < c; k++) {
                    want[r * c + k] = (Math.exp(logits[r * c + k] - max) / sum - (k == labels[r] ? 1 : 0)) / 4;
                }
            }
            assertEquals(total / 4, value.toFloatArray()[0], 1e-5 * Math.abs(total));
            double[] mag = new double[m * c];
            java.util.Arrays.fill(mag, 0.5);
            assertClose(want, mag, grad, t, "dlogits");
            assertThrowsNaming(IllegalStateException.class, loss::backward, "backward before forward");
            assertThrowsNaming(IllegalArgumentException.class, () -> loss.forward(lt, Tensor.fromLongs(
                    new long[] {1, 2}, device(), 2)), "CrossEntropyLoss", "labels");
        }
    }

    @Test
    void closedLossAndBadLabelsAreRefused() {
        CrossEntropyLoss loss = new CrossEntropyLoss(3);
        assertEquals(3, loss.ignoreIndex());
        Tensor logits = Tensor.zeros(DType.F32, device(), 2, 3);
        if (device().isCpu()) {
            assertThrowsNaming(IllegalArgumentException.class, () -> loss.forward(logits,
                    Tensor.fromLongs(new long[] {0, 7}, device(), 2)), "CrossEntropyLoss", "7");
        }
        loss.close();
        loss.close();
        assertThrowsNaming(IllegalStateException.class, () -> loss.forward(logits, Tensor.fromLongs(
                new long[] {0, 1}, device(), 2)), "closed");
    }

    @Test
    void mlpBackwardMatchesFiniteDifferencesOfTheLoss() {
        Linear l1 = Linear.builder(5, 7).device(device()).seed(1).build();
        Linear l2 = Linear.builder(7, 3).device(device()).seed(2).build();
        Sequential model = track(new Sequential(l1, new Tanh(), l2));
        Tensor x = tensor(gaussian(4 * 5, 51, 1, DType.F32), DType.F32, 4, 5);
        Tensor labels = Tensor.fromInts(new int[] {0, 2, 1, 2}, device(), 4);
        try (CrossEntropyLoss loss = new CrossEntropyLoss()) {
            try (Tensor logits = model.forward(x); Tensor value = loss.forward(logits, labels);
                    Tensor dlogits = loss.backward()) {
                assertTrue(value.toFloatArray()[0] > 0);
                try (Tensor dx = model.backward(dlogits)) {
                    assertArrayEquals(new long[] {4, 5}, dx.shape());
                }
            }
            model.eval();
            for (Parameter p : model.parameters()) {
                float[] analytic = p.grad().toFloatArray();
                float[] v = p.value().toFloatArray();
                for (int i = 0; i < v.length; i += 3) {
                    double h = 1e-2;
                    float[] plus = v.clone();
                    plus[i] += (float) h;
                    float[] minus = v.clone();
                    minus[i] -= (float) h;
                    double numeric = (lossAt(model, loss, p, plus, x, labels) - lossAt(model, loss, p, minus, x,
                            labels)) / ((plus[i] - minus[i]));
                    assertEquals(numeric, analytic[i], 2e-3 + 2e-2 * Math.abs(numeric), p.name() + "[" + i + "]");
                }
                p.value().copyFrom(Tensor.fromFloats(v, DType.F32, device(), p.value().shape()));
            }
        }
    }

    private double lossAt(Module model, CrossEntropyLoss loss, Parameter p, float[] values, Tensor x,
            Tensor labels) {
        p.value().copyFrom(Tensor.fromFloats(values, DType.F32, device(), p.value().shape()));
        try (Tensor logits = model.forward(x); Tensor value = loss.forward(logits, labels)) {
            return value.toFloatArray()[0];
        }
    }
}
