package io.github.bnb4j.examples.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Optional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.HalfFloats;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Gemm;
import io.github.bnb4j.core.functional.Int8;
import io.github.bnb4j.core.functional.Int8Matmul;
import io.github.bnb4j.core.functional.Int8Quantized;
import io.github.bnb4j.core.functional.Int8Weight;
import io.github.bnb4j.core.functional.Int8Workspace;
import io.github.bnb4j.core.functional.MatmulLtState;
import io.github.bnb4j.core.internal.Int8Route;
import io.github.bnb4j.core.internal.NativeInt8;

/**
 * LLM.int8() forward against the f16 GEMM of the same {@code nn.Linear} shape on one GPU, one JSON line per shape and
 * route: {@code {"kind":"int8","variant":..,"M":..,"K":..,"N":..,"fp16_ms":..,"int8_th0_ms":..,"int8_th6_ms":..}}.
 * The int8 products run through {@link Int8Matmul#matmulInto} with a reused workspace; {@code variant} names the
 * route ({@link Int8Route}): {@code fused} (two kernels, no host synchronization; up to 32 rows, so only those lines)
 * or {@code unfused} (quantize, cuBLASLt int8 GEMM, fused dequantization, and with threshold 6 the host reads the
 * outlier count, then the outlier columns' f16 GEMM). Threshold 6 has 8 outlier columns planted in A
 * ({@code outlier_cols} says how many were found). Rows 1 to 32 sweep the crossover of the two routes. Before the
 * first line every route runs long enough for the JIT to compile the host path (a cold JVM made the first decode
 * lines host-bound). A last line times the raw int8 GEMM 16384×8192×8192:
 * {@code {"kind":"int8gemm","M":..,"K":..,"N":..,"ms":..,"tops":..}}.
 */
public final class Int8Benchmark {
    private static final long[] ROWS = {1, 2, 4, 8, 16, 32, 512, 4096, 16384};
    /** Calls of each route before any timing: enough for the JIT to compile the host path. */
    private static final int WARM_UP_CALLS = 2000;
    private static final long[][] WEIGHTS = {{4096, 4096}, {4096, 14336}, {14336, 4096}, {8192, 8192}};
    private static final int OUTLIER_COLUMNS = 8;

    private Int8Benchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("Int8Benchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        DeviceTimer large = new DeviceTimer(gpu, 20, 5);
        DeviceTimer small = new DeviceTimer(gpu, 200, 5); // decode products take microseconds: more per timing
        try (Int8Workspace workspace = new Int8Workspace(gpu)) {
            boolean warm = false;
            for (long[] kn : WEIGHTS) {
                long k = kn[0];
                long n = kn[1];
                try (Tensor flat = RandomTensors.gaussian(n * k, DType.F16, gpu, 2);
                     MatmulLtState th0 = MatmulLtState.frozen(Int8Weight.quantize(flat.reshape(n, k)), 0f);
                     MatmulLtState th6 = MatmulLtState.frozen(Int8Weight.quantize(flat.reshape(n, k)), 6f)) {
                    Shape shape = new Shape(workspace, flat.reshape(n, k), th0, th6);
                    if (!warm) {
                        shape.warmUp();
                        warm = true;
                    }
                    for (long m : ROWS) {
                        shape.lines(m <= NativeInt8.FUSED_MAX_ROWS ? small : large, m);
                    }
                }
            }
        } finally {
            Int8Route.select(Int8Route.FUSED);
        }
        rawGemm(large, 16384, 8192, 8192);
    }

    /** One weight [N, K] quantized for thresholds 0 and 6, and the products timed against it. */
    private record Shape(Int8Workspace workspace, Tensor w, MatmulLtState th0, MatmulLtState th6) {
        long k() {
            return w.size(1);
        }

        long n() {
            return w.size(0);
        }

        /** Runs every route at one row, untimed, so that the first timed lines measure compiled host code. */
        void warmUp() {
            try (Tensor flat = RandomTensors.gaussian(k(), DType.F16, w.device(), 1);
                 Tensor out = Tensor.empty(DType.F16, w.device(), 1, n())) {
                Tensor x = flat.reshape(1, k());
                plantOutliers(flat, k());
                for (int i = 0; i < WARM_UP_CALLS; i++) {
                    Gemm.gemmInto(MatrixOperand.of(x), MatrixOperand.transposed(w), 1f, 0f, out);
                    for (Int8Route route : Int8Route.values()) {
                        Int8Route.select(route);
                        Int8Matmul.matmulInto(x, th0, out, workspace);
                        Int8Matmul.matmulInto(x, th6, out, workspace);
                    }
                }
                CudaStream.current(w.device()).synchronize();
            }
        }

        /** The lines of m rows: one per route that differs at m (the fused one takes at most 32 rows). */
        void lines(DeviceTimer timer, long m) {
            try (Tensor flat = RandomTensors.gaussian(m * k(), DType.F16, w.device(), 1);
                 Tensor out = Tensor.empty(DType.F16, w.device(), m, n())) {
                Tensor x = flat.reshape(m, k());
                double fp16 = timer.medianMs(() -> Gemm.gemmInto(MatrixOperand.of(x), MatrixOperand.transposed(w), 1f,
                        0f, out));
                double[] th0Ms = new double[Int8Route.values().length];
                for (Int8Route route : routes(m)) {
                    Int8Route.select(route);
                    th0Ms[route.ordinal()] = timer.medianMs(() -> Int8Matmul.matmulInto(x, th0, out, workspace));
                }
                plantOutliers(flat, k());
                long found;
                try (Int8Quantized q = Int8.vectorwiseQuant(x, th6.threshold())) {
                    found = q.outliers().count();
                }
                for (Int8Route route : routes(m)) {
                    Int8Route.select(route);
                    double th6Ms = timer.medianMs(() -> Int8Matmul.matmulInto(x, th6, out, workspace));
                    System.out.println(new JsonLine().put("kind", "int8")
                            .put("variant", route.name().toLowerCase(Locale.ROOT)).put("M", m)
                            .put("K", k()).put("N", n()).put("fp16_ms", fp16)
                            .put("int8_th0_ms", th0Ms[route.ordinal()]).put("int8_th6_ms", th6Ms)
                            .put("outlier_cols", found));
                }
            }
        }

        private static Int8Route[] routes(long m) {
            return m <= NativeInt8.FUSED_MAX_ROWS ? Int8Route.values() : new Int8Route[] {Int8Route.UNFUSED};
        }
    }

    /** Writes 8.0 into row 0 of 8 spread columns: each becomes an outlier column (|x| &gt;= 6). */
    private static void plantOutliers(Tensor flat, long k) {
        ByteBuffer value = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(HalfFloats.floatToF16(8f));
        for (int i = 0; i < OUTLIER_COLUMNS; i++) {
            long column = (2 * i + 1) * k / (2 * OUTLIER_COLUMNS);
            flat.copyFromHost(column * DType.F16.byteSize(), value.flip());
        }
    }

    private static void rawGemm(DeviceTimer timer, long m, long k, long n) {
        Device gpu = Device.cuda(0);
        try (Tensor fa = RandomTensors.gaussian(m * k, DType.F16, gpu, 3);
             Tensor fb = RandomTensors.gaussian(n * k, DType.F16, gpu, 4);
             Int8Quantized a = Int8.vectorwiseQuant(fa.reshape(m, k), 0f);
             Int8Quantized b = Int8.vectorwiseQuant(fb.reshape(n, k), 0f);
             Tensor out = Tensor.empty(DType.I32, gpu, m, n)) {
            double ms = timer.medianMs(() -> Int8.gemmInto(a.codes(), b.codes(), out));
            System.out.println(new JsonLine().put("kind", "int8gemm").put("M", m).put("K", k).put("N", n)
                    .put("ms", ms).put("tops", 2.0 * m * n * k / ms / 1e9));
        }
    }
}
