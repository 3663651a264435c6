package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeGemm;
import io.github.bnb4j.core.testing.Backends;
import io.github.bnb4j.nativelib.cublas.CublasLt;
import io.github.bnb4j.nativelib.cublas.GemmRoute;
import io.github.bnb4j.nativelib.cublas.GemmRoutes;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link GemmConformance} on the CUDA backend (cuBLASLt). */
@Tag("cuda")
class GemmCudaTest extends GemmConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }

    /**
     * cuBLASLt, loaded through the JavaCPP presets, runs on a stream that bnb4j's plugin (static CUDA runtime)
     * created, ordered with bnb4j's own copies on that stream (docs/DECISIONS.md).
     */
    @Test
    void runsOnAStreamMadeByThePlugin() {
        Device gpu = device();
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {1, 0, -1, 2, 0.5f, 0};
        try (CudaStream stream = CudaStream.create(gpu); CudaStream.Scope scope = CudaStream.use(stream)) {
            Tensor x = Tensor.fromFloats(a, DType.F32, gpu, 2, 3);
            Tensor w = Tensor.fromFloats(b, DType.F32, gpu, 2, 3);
            Tensor out = Gemm.linear(x, w);
            try (Tensor host = out.to(Device.cpu())) {
                // x · wᵀ: rows (1, 2, 3) and (4, 5, 6) against (1, 0, -1) and (2, 0.5, 0)
                assertArrayEquals(new float[] {-2, 3, -2, 10.5f}, host.toFloatArray());
            }
        }
    }

    static Stream<Arguments> routes() {
        return Stream.of(DType.F32, DType.F16, DType.BF16)
                .flatMap(t -> Stream.of(GemmRoutes.values()).map(r -> Arguments.of(t, r)));
    }

    /**
     * The small-M products (decode shapes) through each route on its own and through the timed choice: cuBLAS's
     * GEMV kernels for M = 1 and cuBLASLt's algorithms agree with a double reference; B transposed (the
     * {@code nn.Linear} product) for even M, not for odd M. The first call of each shape has beta = 0, so a
     * FASTEST plan times its candidates there; the second call (beta = -0.5) reuses the choice.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("routes")
    void smallRowCountsMatchTheReferenceOnEveryRoute(DType t, GemmRoutes routes) {
        Device gpu = device();
        int k = 1024;
        int n = 80;
        Random rng = new Random(17);
        for (int m = 1; m <= 16; m++) {
            boolean tb = m % 2 == 0;
            float[] a = rounded(t, m * k, rng);
            float[] b = rounded(t, k * n, rng);
            try (Tensor x = Tensor.fromFloats(a, t, gpu, m, k);
                 Tensor w = Tensor.fromFloats(b, t, gpu, tb ? new long[] {n, k} : new long[] {k, n});
                 Tensor out = Tensor.zeros(t, gpu, m, n)) {
                for (float beta : new float[] {0f, -0.5f}) {
                    float[] before = out.toFloatArray();
                    try (TensorUse use = TensorUse.of(x, w, out)) {
                        NativeGemm.gemm(false, tb, m, n, k, 1f, beta, x, w, null, out, routes);
                    }
                    Optional<GemmRoute> route = CublasLt.lastRoute();
                    if (routes != GemmRoutes.FASTEST) {
                        assertEquals(Optional.of(GemmRoute.valueOf(routes.name())), route, "route of M = " + m);
                    }
                    assertClose(t, a, b, before, beta, tb, m, n, k, out.toFloatArray(), routes + " M = " + m);
                }
            }
        }
    }

    private static void assertClose(DType t, float[] a, float[] b, float[] before, float beta, boolean tb, int m, int n,
                                    int k, float[] got, String what) {
        double unit = t == DType.F32 ? 0x1p-24 : t == DType.F16 ? 0x1p-11 : 0x1p-8;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double x = a[i * k + p];
                    double y = tb ? b[j * k + p] : b[p * n + j];
                    sum += x * y;
                    magnitude += Math.abs(x * y);
                }
                double old = before[i * n + j];
                double expected = sum + beta * old;
                double tolerance = (k + 3) * 0x1p-24 * (magnitude + Math.abs(beta * old)) + unit * Math.abs(expected)
                        + 1e-30;
                double error = Math.abs(got[i * n + j] - expected);
                assertTrue(error <= tolerance, what + ": out[" + i + "," + j + "] = " + got[i * n + j] + ", expected "
                        + expected + " within " + tolerance);
            }
        }
    }

    /** Gaussian values rounded to t, so the reference sees what the GPU reads. */
    private static float[] rounded(DType t, int count, Random rng) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        try (Tensor r = Tensor.fromFloats(v, t, Device.cpu(), count)) {
            return r.toFloatArray();
        }
    }
}
