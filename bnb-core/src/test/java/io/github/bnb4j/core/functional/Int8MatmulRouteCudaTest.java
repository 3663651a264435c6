package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.Int8Route;
import io.github.bnb4j.core.testing.Backends;
import io.github.bnb4j.core.testing.Int8Reference;
import io.github.bnb4j.core.testing.Int8Reference.Quant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused CUDA kernels of few rows ({@link Int8Route#FUSED}) against the separate steps ({@link Int8Route#UNFUSED})
 * on the same products: the same bits without outlier columns, and with them a difference no larger than the f32
 * summation order of their 16-bit part allows (cuBLAS sums them in its own order). One workspace serves every case,
 * so each fused product also finds the outlier state its predecessor left.
 */
@Tag("cuda")
class Int8MatmulRouteCudaTest {
    private static final int[] ROWS = {1, 3, 31, 32};
    /** K, N: K not a multiple of 4 or 16 beside aligned ones, N not a multiple of the kernel's 32 rows. */
    private static final int[][] WEIGHTS = {{5, 3}, {37, 33}, {64, 100}, {4099, 67}, {4096, 40}};

    enum Outliers { NONE, FEW, MANY }

    private static Int8Workspace workspace;

    @AfterEach
    void restoreTheRoute() {
        Int8Route.select(Int8Route.FUSED);
    }

    @AfterAll
    static void freeTheWorkspace() {
        if (workspace != null) {
            workspace.close();
            workspace = null;
        }
    }

    /**
     * Threshold 0 only: that is where Int8Matmul takes the fused route (with a threshold the two disagreed on the
     * H200 after a call with many outliers; see Int8Matmul.fusedIsFaster). FEW puts large values in, which at
     * threshold 0 are ordinary columns.
     */
    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> IntStream.of(ROWS).boxed().flatMap(
                m -> Stream.of(WEIGHTS).flatMap(kn -> Stream.of(Outliers.NONE, Outliers.FEW)
                        .map(o -> Arguments.of(t, m, kn[0], kn[1], 0, o)))));
    }

    @ParameterizedTest(name = "{0} M{1} K{2} N{3} th{4} {5}")
    @MethodSource("cases")
    void fusedMatchesUnfused(DType t, int m, int k, int n, int threshold, Outliers outliers) {
        Device d = Backends.cudaOrSkip();
        if (workspace == null) {
            workspace = new Int8Workspace(d);
        }
        long seed = m * 100_000L + k * 100L + n + threshold + outliers.ordinal();
        float[] a = activations(m, k, t, outliers, seed);
        float[] w = Int8Reference.activations(n, k, t, false, seed + 1);
        float[] bias = Int8Reference.activations(1, n, t, false, seed + 2);
        boolean withBias = seed % 2 == 0;
        try (Tensor ta = Tensor.fromFloats(a, t, d, m, k);
             Tensor tw = Tensor.fromFloats(w, t, d, n, k);
             Tensor tb = Tensor.fromFloats(bias, t, d, n);
             Int8Weight weight = Int8Weight.quantize(tw);
             Tensor fused = Tensor.empty(t, d, m, n);
             Tensor unfused = Tensor.empty(t, d, m, n)) {
            MatmulLtState state = MatmulLtState.frozen(weight, threshold);
            run(Int8Route.UNFUSED, ta, state, withBias ? tb : null, unfused);
            run(Int8Route.FUSED, ta, state, withBias ? tb : null, fused);
            float[] f = fused.toFloatArray();
            float[] u = unfused.toFloatArray();

            Quant qa = Int8Reference.quantize(a, m, k, threshold);
            Quant qw = Int8Reference.quantize(w, n, k, 0);
            int found = qa.outliers().length;
            if (outliers == Outliers.MANY) {
                assertTrue(found >= k / 2, "many outlier columns expected, found " + found);
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    String where = t + " M" + m + " K" + k + " N" + n + " th" + threshold + " " + outliers + " out["
                            + i + "," + j + "] fused " + f[i * n + j] + ", unfused " + u[i * n + j];
                    if (found == 0 || Float.isNaN(u[i * n + j])) {
                        assertEquals(Float.floatToIntBits(u[i * n + j]), Float.floatToIntBits(f[i * n + j]), where);
                        continue;
                    }
                    double magnitude = Math.abs(u[i * n + j]);
                    for (long column : qa.outliers()) {
                        int c = (int) column;
                        magnitude += Math.abs(a[i * k + c] * Int8Reference.round(
                                Int8Reference.dequant(qw.codes()[j * k + c], qw.stats()[j]), t));
                    }
                    double tolerance = 2 * Int8Reference.unit(t) * Math.max(Math.abs(f[i * n + j]),
                            Math.abs(u[i * n + j])) + (found + 3) * 0x1p-23 * magnitude;
                    assertTrue(Math.abs(f[i * n + j] - u[i * n + j]) <= tolerance, where);
                }
            }
        }
    }

    @Test
    void theDefaultRouteIsFusedAndPerThread() throws InterruptedException {
        assertEquals(Int8Route.FUSED, Int8Route.current());
        Int8Route.select(Int8Route.UNFUSED);
        Int8Route[] seen = new Int8Route[1];
        Thread other = new Thread(() -> seen[0] = Int8Route.current());
        other.start();
        other.join();
        assertEquals(Int8Route.FUSED, seen[0]);
        assertEquals(Int8Route.UNFUSED, Int8Route.current());
    }

    private static void run(Int8Route route, Tensor a, MatmulLtState state, Tensor bias, Tensor out) {
        Int8Route.select(route);
        if (bias == null) {
            Int8Matmul.matmulInto(a, state, out, workspace);
        } else {
            Int8Matmul.matmulInto(a, state, bias, out, workspace);
        }
    }

    /** Activations with no outlier (|x| &lt; 6), a few outlier columns, or every other column an outlier. */
    private static float[] activations(int m, int k, DType t, Outliers outliers, long seed) {
        float[] a = Int8Reference.activations(m, k, t, outliers == Outliers.FEW, seed);
        for (int i = 0; i < a.length && outliers == Outliers.NONE; i++) {
            a[i] = Int8Reference.round(a[i] % 5f, t);
        }
        for (int c = 0; c < k && outliers == Outliers.MANY; c += 2) {
            a[(c % m) * k + c] = Int8Reference.round(c % 4 == 0 ? 7.5f : -9f, t);
        }
        return a;
    }
}
