package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertClose;
import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Elementwise} against double-precision references, on every backend. */
abstract class ElementwiseConformance extends BackendConformance {
    /** rows, cols: odd shapes, rows not a multiple of any block, columns below and above a vector. */
    static Stream<Arguments> cases() {
        int[][] shapes = {{1, 1}, {3, 5}, {4, 8}, {4097, 3}, {7, 1031}};
        return NnTesting.floatTypes().flatMap(t -> Stream.of(shapes).map(s -> Arguments.of(t, s[0], s[1])));
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void addMulScaleAndBroadcast(DType t, int rows, int cols) {
        int n = rows * cols;
        float[] a = NnTesting.normal(n, t, 0, 1, n);
        float[] b = NnTesting.normal(n, t, 0, 1, n + 1L);
        float[] bias = NnTesting.normal(cols, t, 0, 1, cols);
        Tensor at = NnTesting.tensor(a, t, device(), rows, cols);
        Tensor bt = NnTesting.tensor(b, t, device(), rows, cols);
        Tensor biasT = NnTesting.tensor(bias, t, device(), cols);

        double[] sum = new double[n];
        double[] scaledSum = new double[n];
        double[] product = new double[n];
        double[] biased = new double[n];
        double[] scaled = new double[n];
        for (int i = 0; i < n; i++) {
            sum[i] = (double) a[i] + b[i];
            scaledSum[i] = a[i] - 0.5 * b[i];
            product[i] = (double) a[i] * bias[i % cols];
            biased[i] = (double) a[i] + bias[i % cols];
            scaled[i] = a[i] * 3.0;
        }
        double abs = 1e-6;
        assertClose(sum, Elementwise.add(at, bt).toFloatArray(), t, abs, "add");
        assertClose(scaledSum, Elementwise.add(at, bt, -0.5f).toFloatArray(), t, abs, "add alpha");
        assertClose(product, Elementwise.mul(at, biasT).toFloatArray(), t, abs, "mul broadcast");
        assertClose(biased, Elementwise.add(at, biasT).toFloatArray(), t, abs, "add broadcast");
        assertClose(scaled, Elementwise.scale(at, 3f).toFloatArray(), t, abs, "scale");
        assertArrayEquals(a, at.toFloatArray(), "the input is unchanged");

        Elementwise.addInPlace(at, bt, -0.5f);
        assertClose(scaledSum, at.toFloatArray(), t, abs, "addInPlace");
        Elementwise.scaleInPlace(bt, 3f);
        double[] b3 = new double[n];
        for (int i = 0; i < n; i++) {
            b3[i] = b[i] * 3.0;
        }
        assertClose(b3, bt.toFloatArray(), t, abs, "scaleInPlace");
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("cases")
    void sumRowsIsTheColumnSum(DType t, int rows, int cols) {
        float[] x = NnTesting.normal(rows * cols, t, 0.5, 1, rows * 7L + cols);
        Tensor xt = NnTesting.tensor(x, t, device(), rows, cols);
        float[] start = NnTesting.normal(cols, t, 0, 1, cols + 9L);
        double[] want = new double[cols];
        double[] accumulated = new double[cols];
        double[] abs = new double[cols];
        for (int c = 0; c < cols; c++) {
            double magnitude = 0;
            for (int r = 0; r < rows; r++) {
                want[c] += x[r * cols + c];
                magnitude += Math.abs(x[r * cols + c]);
            }
            accumulated[c] = want[c] + start[c];
            abs[c] = 3e-5 * (magnitude + Math.abs(start[c])); // f32 sums of up to 4097 terms
        }
        Tensor sums = Elementwise.sumRows(xt);
        assertArrayEquals(new long[] {cols}, sums.shape());
        assertClose(want, sums.toFloatArray(), t, abs, "sumRows");
        Tensor out = NnTesting.tensor(start, t, device(), cols);
        Elementwise.sumRowsInto(xt, out, Accumulation.ADD);
        assertClose(accumulated, out.toFloatArray(), t, abs, "sumRowsInto ADD");
        Elementwise.sumRowsInto(xt, out, Accumulation.OVERWRITE);
        assertClose(want, out.toFloatArray(), t, abs, "sumRowsInto OVERWRITE");
    }

    @Test
    void leadingDimensionsAreRowsAndEmptyInputsWork() {
        Tensor x = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 3, 1, 2);
        assertArrayEquals(new float[] {9, 12}, Elementwise.sumRows(x).toFloatArray());
        assertArrayEquals(new float[] {0, 0, 0}, Elementwise.sumRows(Tensor.zeros(DType.F16, device(), 0, 3))
                .toFloatArray());
        Tensor empty = Tensor.zeros(DType.F32, device(), 0);
        assertArrayEquals(new long[] {0}, Elementwise.add(empty, empty).shape());
        Tensor scalar = Tensor.fromFloats(new float[] {2}, DType.F32, device());
        assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, Elementwise.add(x, scalar).toFloatArray());
    }

    @Test
    void rejectsBadInput() {
        Tensor a = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5, 6}, DType.F32, device(), 2, 3);
        Tensor wrong = Tensor.fromFloats(new float[] {1, 2}, DType.F32, device(), 2);
        float[] before = a.toFloatArray();
        assertMessage(IllegalArgumentException.class, () -> Elementwise.addInPlace(a, wrong, 1f), "b", "[2]");
        assertMessage(IllegalArgumentException.class, () -> Elementwise.add(a, a, Float.NaN), "alpha", "NaN");
        assertMessage(IllegalArgumentException.class, () -> Elementwise.scaleInPlace(a, Float.POSITIVE_INFINITY), "s");
        assertMessage(IllegalArgumentException.class,
                () -> Elementwise.mul(a, Tensor.fromFloats(new float[] {1, 2, 3}, DType.BF16, device(), 3)), "BF16");
        assertMessage(UnsupportedOperationException.class,
                () -> Elementwise.scale(Tensor.fromInts(new int[] {1}, device(), 1), 2f), "I32");
        assertMessage(IllegalArgumentException.class,
                () -> Elementwise.sumRowsInto(a, Tensor.zeros(DType.F32, device(), 2), Accumulation.ADD), "out");
        assertMessage(IllegalArgumentException.class,
                () -> Elementwise.sumRows(Tensor.fromFloats(new float[] {1}, DType.F32, device())), "scalar");
        assertArrayEquals(before, a.toFloatArray(), "nothing written");
    }
}
