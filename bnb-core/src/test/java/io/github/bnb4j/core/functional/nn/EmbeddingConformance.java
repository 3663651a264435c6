package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnTesting.assertClose;
import static io.github.bnb4j.core.functional.nn.NnTesting.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Embeddings} gather and scatter-add against plain Java, on every backend. */
abstract class EmbeddingConformance extends BackendConformance {
    static Stream<Arguments> cases() {
        int[][] shapes = {{1, 1, 1}, {5, 3, 7}, {17, 8, 4097}, {1000, 33, 64}};
        return NnTesting.floatTypes().flatMap(t -> Stream.of(DType.I32, DType.I64)
                .flatMap(it -> Stream.of(shapes).map(s -> Arguments.of(t, it, s[0], s[1], s[2]))));
    }

    private Tensor indexTensor(long[] idx, DType it, long... shape) {
        if (it == DType.I64) {
            return Tensor.fromLongs(idx, device(), shape);
        }
        int[] v = new int[idx.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) idx[i];
        }
        return Tensor.fromInts(v, device(), shape);
    }

    @ParameterizedTest(name = "{0} {1} V{2} D{3} n{4}")
    @MethodSource("cases")
    void gatherAndScatterAdd(DType t, DType it, int v, int dim, int n) {
        float[] table = NnTesting.normal(v * dim, t, 0, 1, v * 3L + dim);
        long[] idx = new Random(n).longs(n, 0, v).toArray();
        Tensor tt = NnTesting.tensor(table, t, device(), v, dim);
        Tensor indices = indexTensor(idx, it, n);

        Tensor out = Embeddings.gather(tt, indices);
        assertArrayEquals(new long[] {n, dim}, out.shape());
        float[] got = out.toFloatArray();
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < dim; c++) {
                if (got[i * dim + c] != table[(int) idx[i] * dim + c]) {
                    throw new AssertionError("out[" + i + ", " + c + "] = " + got[i * dim + c] + ", want table["
                            + idx[i] + ", " + c + "]");
                }
            }
        }

        float[] gradOut = NnTesting.normal(n * dim, t, 0, 1, n + 5L);
        float[] start = NnTesting.normal(v * dim, t, 0, 1, v + 6L);
        Tensor gradTable = NnTesting.tensor(start, t, device(), v, dim);
        long padding = idx[0];
        Embeddings.backward(NnTesting.tensor(gradOut, t, device(), n, dim), indices, gradTable, padding);
        double[] want = NnTesting.toDouble(start);
        double[] abs = new double[v * dim];
        for (int i = 0; i < n; i++) {
            if (idx[i] == padding) {
                continue;
            }
            for (int c = 0; c < dim; c++) {
                int at = (int) idx[i] * dim + c;
                want[at] += gradOut[i * dim + c];
                // F16/BF16 round after every add (in an order CUDA does not fix): one unit per add
                abs[at] += Math.abs(gradOut[i * dim + c]) * (t == DType.F32 ? 1e-6 : 2 * io.github.bnb4j.core
                        .testing.Int8Reference.unit(t)) + (t == DType.F32 ? 0 : 2 * Math.abs(start[at])
                        * io.github.bnb4j.core.testing.Int8Reference.unit(t));
            }
        }
        assertClose(want, gradTable.toFloatArray(), t, abs, "gradTable");
    }

    @Test
    void gathersRawRowsOfAnyDtypeAndShape() {
        byte[] codes = {1, 2, 3, 4, 5, 6, 7, 8};  // a U8 table [4, 2]: the packed rows of a quantized embedding
        Tensor table = Tensor.fromBytes(codes, DType.U8, device(), 4, 2);
        Tensor out = Embeddings.gather(table, Tensor.fromLongs(new long[] {3, 0, 3, 1}, device(), 2, 2));
        assertArrayEquals(new long[] {2, 2, 2}, out.shape());
        assertArrayEquals(new byte[] {7, 8, 1, 2, 7, 8, 3, 4}, out.toByteArray());
        Tensor scales = Tensor.fromFloats(new float[] {0.5f, 1.5f, 2.5f}, DType.F32, device(), 3);
        assertArrayEquals(new float[] {2.5f, 0.5f}, Embeddings.gather(scales, Tensor.fromInts(new int[] {2, 0},
                device(), 2)).toFloatArray());
        byte[] odd = {1, 2, 3, 4, 5, 6};  // rows of 3 bytes: no vector width fits
        assertArrayEquals(new byte[] {4, 5, 6, 4, 5, 6}, Embeddings.gather(Tensor.fromBytes(odd, DType.I8, device(),
                2, 3), Tensor.fromInts(new int[] {1, 1}, device(), 2)).toByteArray());
    }

    @Test
    void rejectsBadInput() {
        Tensor table = Tensor.fromFloats(new float[] {1, 2, 3, 4}, DType.F32, device(), 2, 2);
        assertMessage(IllegalArgumentException.class, () -> Embeddings.gather(table,
                Tensor.fromFloats(new float[] {0}, DType.F32, device(), 1)), "indices", "I32 or I64");
        assertMessage(IllegalArgumentException.class, () -> Embeddings.gather(Tensor.fromFloats(new float[] {1},
                DType.F32, device()), Tensor.fromInts(new int[] {0}, device(), 1)), "scalar");
        Tensor grad = Tensor.fromFloats(new float[] {5, 5, 5, 5}, DType.F32, device(), 2, 2);
        Tensor idx = Tensor.fromInts(new int[] {0, 1}, device(), 2);
        assertMessage(IllegalArgumentException.class, () -> Embeddings.backward(Tensor.zeros(DType.F32, device(), 2,
                3), idx, grad), "gradOut", "[2, 2]");
        assertMessage(IllegalArgumentException.class, () -> Embeddings.backward(Tensor.zeros(DType.F32, device(), 2,
                2), idx, grad, 2), "paddingIdx", "2");
        assertMessage(IllegalArgumentException.class, () -> Embeddings.backward(Tensor.zeros(DType.BF16, device(), 2,
                2), idx, grad), "gradOut", "F32");
        assertArrayEquals(new float[] {5, 5, 5, 5}, grad.toFloatArray(), "nothing written");
    }

    /**
     * An index out of range is never followed. The CPU throws at once, naming it, and writes nothing; CUDA writes
     * a zero row and reports the index at {@link IndexErrors#check} (or the next embedding call).
     */
    @Test
    void outOfRangeIndicesAreReportedNeverFollowed() {
        Tensor table = Tensor.fromFloats(new float[] {1, 2, 3, 4}, DType.F32, device(), 2, 2);
        Tensor bad = Tensor.fromLongs(new long[] {1, 7, 0}, device(), 3);
        if (device().isCpu()) {
            assertMessage(IllegalArgumentException.class, () -> Embeddings.gather(table, bad), "indices[1] = 7");
            Tensor grad = Tensor.fromFloats(new float[] {5, 5, 5, 5}, DType.F32, device(), 2, 2);
            assertMessage(IllegalArgumentException.class, () -> Embeddings.backward(Tensor.zeros(DType.F32, device(),
                    3, 2), Tensor.fromInts(new int[] {0, -1, 1}, device(), 3), grad), "indices[1] = -1");
            assertArrayEquals(new float[] {5, 5, 5, 5}, grad.toFloatArray(), "nothing written");
        } else {
            Tensor out = Embeddings.gather(table, bad);
            assertArrayEquals(new float[] {3, 4, 0, 0, 1, 2}, out.toFloatArray(), "the bad row is zeros");
            assertMessage(IllegalArgumentException.class, () -> IndexErrors.check(device()), "indices[1] = 7");
            IndexErrors.check(device()); // reported once, then cleared
            // reading the output waits for the stream, so the record's copy to the host has arrived too
            assertArrayEquals(new float[] {1, 2, 0, 0}, Embeddings.gather(table, Tensor.fromInts(new int[] {0, -3},
                    device(), 2)).toFloatArray());
            assertMessage(IllegalArgumentException.class,
                    () -> Embeddings.gather(table, Tensor.fromInts(new int[] {0}, device(), 1)), "indices[1] = -3");
        }
        IndexErrors.check(device());
    }
}
