package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertClose;
import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link CrossEntropy} against torch's formulas in double precision, on every backend. */
abstract class CrossEntropyConformance extends BackendConformance {
    static Stream<Arguments> cases() {
        int[][] shapes = {{1, 1}, {3, 5}, {4097, 3}, {7, 4097}, {33, 1000}};
        return NnTesting.floatTypes().flatMap(t -> Stream.of(DType.I32, DType.I64)
                .flatMap(lt -> Stream.of(shapes).map(s -> Arguments.of(t, lt, s[0], s[1]))));
    }

    private Tensor labelTensor(long[] labels, DType lt) {
        if (lt == DType.I64) {
            return Tensor.fromLongs(labels, device(), labels.length);
        }
        int[] v = new int[labels.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) labels[i];
        }
        return Tensor.fromInts(v, device(), v.length);
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3}")
    @MethodSource("cases")
    void lossAndGradientMatchTorch(DType t, DType lt, int rows, int classes) {
        float[] x = NnTesting.normal(rows * classes, t, 0, 3, rows * 13L + classes);
        Random rng = new Random(rows);
        long[] labels = new long[rows];
        for (int m = 0; m < rows; m++) {
            labels[m] = m % 5 == 1 ? -100 : rng.nextInt(classes);
        }
        Tensor logits = NnTesting.tensor(x, t, device(), rows, classes);
        Tensor y = labelTensor(labels, lt);
        Tensor gradLoss = Tensor.fromFloats(new float[] {0.5f}, DType.F32, device());

        CrossEntropyLoss loss = CrossEntropy.forward(logits, y);
        Tensor grad = CrossEntropy.backward(logits, y, loss, gradLoss);

        double total = 0;
        int kept = 0;
        double[] lse = new double[rows];
        for (int m = 0; m < rows; m++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                mx = Math.max(mx, x[m * classes + c]);
            }
            double s = 0;
            for (int c = 0; c < classes; c++) {
                s += Math.exp(x[m * classes + c] - mx);
            }
            lse[m] = mx + Math.log(s);
            if (labels[m] != -100) {
                total += lse[m] - x[m * classes + (int) labels[m]];
                kept++;
            }
        }
        double[] wantGrad = new double[rows * classes];
        for (int m = 0; m < rows; m++) {
            for (int c = 0; c < classes; c++) {
                wantGrad[m * classes + c] = labels[m] == -100 ? 0
                        : 0.5 * (Math.exp(x[m * classes + c] - lse[m]) - (c == labels[m] ? 1 : 0)) / kept;
            }
        }
        assertEquals(0, loss.loss().rank(), "the loss is a scalar");
        // f32: expf sums over up to 4097 classes and a sum over up to 4097 rows, a few 1e-6 relative each
        assertClose(new double[] {total / kept}, loss.loss().toFloatArray(), DType.F32,
                5e-5 * (1 + total / kept), "loss");
        assertEquals(kept, loss.count().toFloatArray()[0]);
        assertClose(lse, loss.lse().toFloatArray(), DType.F32, 5e-5, "lse");
        assertClose(wantGrad, grad.toFloatArray(), t, 2e-5 / kept, "grad"); // lse's error, relative in exp
        Tensor unit = CrossEntropy.backward(logits, y, loss);
        double[] unitGrad = new double[wantGrad.length];
        for (int i = 0; i < unitGrad.length; i++) {
            unitGrad[i] = 2 * wantGrad[i];
        }
        assertClose(unitGrad, unit.toFloatArray(), t, 4e-5 / kept, "grad for gradLoss 1");
    }

    @Test
    void customIgnoreIndexAndAllIgnored() {
        Tensor logits = Tensor.fromFloats(new float[] {0, 0, 1, 1}, DType.F32, device(), 2, 2);
        CrossEntropyLoss loss = CrossEntropy.forward(logits, Tensor.fromInts(new int[] {7, 0}, device(), 2), 7);
        assertEquals(7, loss.ignoreIndex());
        assertEquals((float) Math.log(2), loss.loss().toFloatArray()[0], 1e-6);
        CrossEntropyLoss none = CrossEntropy.forward(logits, Tensor.fromLongs(new long[] {-100, -100}, device(), 2));
        assertTrue(Float.isNaN(none.loss().toFloatArray()[0]), "0/0 is NaN, as torch");
        assertEquals(0f, none.count().toFloatArray()[0]);
    }

    @Test
    void rejectsBadInput() {
        Tensor logits = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 2, 3);
        Tensor labels = Tensor.fromInts(new int[] {0, 2}, device(), 2);
        assertMessage(IllegalArgumentException.class, () -> CrossEntropy.forward(logits,
                Tensor.fromInts(new int[] {0}, device(), 1)), "labels", "[2]");
        assertMessage(IllegalArgumentException.class, () -> CrossEntropy.forward(logits,
                Tensor.fromFloats(new float[] {0, 1}, DType.F32, device(), 2)), "labels", "I32 or I64");
        assertMessage(IllegalArgumentException.class, () -> CrossEntropy.forward(Tensor.zeros(DType.F32, device(), 6),
                labels), "logits", "[M, C]");
        CrossEntropyLoss saved = CrossEntropy.forward(logits, labels);
        assertMessage(IllegalArgumentException.class, () -> CrossEntropy.backward(logits, labels, saved,
                Tensor.zeros(DType.F32, device(), 1)), "gradLoss");
        assertMessage(UnsupportedOperationException.class, () -> CrossEntropy.forward(Tensor.fromInts(
                new int[] {1, 2}, device(), 1, 2), Tensor.fromInts(new int[] {0}, device(), 1)), "I32");
    }

    /** A label out of range: the CPU throws at once, naming it; CUDA makes the loss NaN and reports it later. */
    @Test
    void outOfRangeLabelsAreReported() {
        Tensor logits = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 2, 3);
        Tensor bad = Tensor.fromLongs(new long[] {0, 3}, device(), 2);
        if (device().isCpu()) {
            assertMessage(IllegalArgumentException.class, () -> CrossEntropy.forward(logits, bad), "labels[1] = 3");
        } else {
            CrossEntropyLoss loss = CrossEntropy.forward(logits, bad);
            assertTrue(Float.isNaN(loss.loss().toFloatArray()[0]));
            assertMessage(IllegalArgumentException.class, () -> IndexErrors.check(device()), "labels[1] = 3");
        }
        IndexErrors.check(device());
        assertArrayEquals(new long[] {2, 3}, logits.shape());
    }
}
