package io.github.bnb4j.examples.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.AbsmaxStorage;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.core.functional.FourBitOptions;
import io.github.bnb4j.core.functional.FourBitQuantized;
import io.github.bnb4j.core.functional.Gemm;

/**
 * 4-bit throughput on cuda:0 (without a GPU it says so and ends), as JSON lines of DESIGN.md:
 * <ul>
 * <li>{@code {"kind":"4bit","dtype":..,"n":..,"quant_type":"nf4","blocksize":64,"quant_ms":..,"dequant_ms":..,
 * "quant_gbs":..,"dequant_gbs":..}} for an 8192 × 8192 tensor of each dtype (bytes: input read plus outputs
 * written, packed codes and absmax counted);</li>
 * <li>{@code {"kind":"gemv4bit","N":..,"K":..,"dtype":..,"batch":..,"nested":..,"nf4_us":..,"dense_us":..,
 * "call_us":..}}: {@code FourBit.matmul4bitInto} of an NF4 blocksize-64 weight [N, K] (plain or nested absmax) by
 * a batch of rows, against {@code Gemm} of the dense weight in the same dtype (cuBLASLt). {@code nf4_us} and
 * {@code dense_us} are device times from CUDA events over back-to-back calls; {@code call_us} is the wall time of
 * one Java call in a loop of calls synchronized once at its end (host overhead included). Batches up to
 * {@code FourBitProduct.FUSED_GEMV_MAX_ROWS} take the fused GEMV; larger ones (16, and 4096 for prefill and
 * training shapes) dequantize into a temporary and run the dense GEMM.</li>
 * <li>{@code {"kind":"gemv4bit_crossover","N":..,"K":..,"dtype":"bf16","batch":..,"fused_us":..,
 * "dequant_gemm_us":..}}: for batches up to the fused limit, the fused GEMV against dequantize + GEMM into
 * preallocated buffers (the other path without its allocation), the measurement behind
 * {@code FourBitProduct.FUSED_GEMV_MAX_ROWS}.</li>
 * </ul>
 */
public final class FourBitBenchmark {
    private static final long QUANT_SIDE = 8192;
    private static final long[][] GEMV_SHAPES = {{4096, 4096}, {14336, 4096}, {4096, 14336}, {8192, 28672},
        {28672, 8192}};
    private static final long[][] PREFILL_SHAPES = {{4096, 4096}, {14336, 4096}};
    private static final int[] GEMV_BATCHES = {1, 2, 4, 8, 16};
    private static final int PREFILL_BATCH = 4096;
    private static final int[] CROSSOVER_BATCHES = {1, 2, 4, 8, 12, 16};
    private static final DType[] GEMV_TYPES = {DType.F16, DType.BF16};
    private static final FourBitOptions NF4_64 = FourBitOptions.nf4();

    private final Device gpu;

    private FourBitBenchmark(Device gpu) {
        this.gpu = gpu;
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("FourBitBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        FourBitBenchmark bench = new FourBitBenchmark(cuda.get());
        for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.F32}) {
            bench.quantizeAndDequantize(dtype);
        }
        for (DType dtype : GEMV_TYPES) {
            for (long[] shape : GEMV_SHAPES) {
                bench.products(shape[0], shape[1], dtype, GEMV_BATCHES, new DeviceTimer(bench.gpu, 200, 5), 200);
            }
            for (long[] shape : PREFILL_SHAPES) {
                bench.products(shape[0], shape[1], dtype, new int[] {PREFILL_BATCH}, new DeviceTimer(bench.gpu, 10, 5),
                        10);
            }
        }
        for (long[] shape : PREFILL_SHAPES) {
            bench.crossover(shape[0], shape[1], DType.BF16);
        }
    }

    private void quantizeAndDequantize(DType dtype) {
        long n = QUANT_SIDE * QUANT_SIDE;
        DeviceTimer timer = new DeviceTimer(gpu, 20, 5);
        try (Tensor input = RandomTensors.gaussian(n, dtype, gpu, 1);
                FourBitQuantized q = FourBit.quantize(input, NF4_64);
                Tensor out = Tensor.empty(dtype, gpu, n)) {
            // outputs are allocated once: the timed loop is the kernels, not cudaMalloc/cudaFree
            Tensor absmax = ((AbsmaxScales.Plain) q.state().scales()).absmax();
            double quantMs = timer.medianMs(() -> FourBit.quantizeInto(input, q.packed(), absmax, NF4_64));
            double dequantMs = timer.medianMs(() -> FourBit.dequantizeInto(q.packed(), q.state(), out));
            double bytes = n * dtype.byteSize() + q.packed().byteSize() + absmax.byteSize();
            System.out.println(new JsonLine().put("kind", "4bit").put("dtype", name(dtype)).put("n", n)
                    .put("quant_type", "nf4").put("blocksize", NF4_64.blocksize().value()).put("quant_ms", quantMs)
                    .put("dequant_ms", dequantMs).put("quant_gbs", bytes / quantMs / 1e6)
                    .put("dequant_gbs", bytes / dequantMs / 1e6));
        }
    }

    /** One line per (absmax storage, batch) for the weight [n, k]. */
    private void products(long n, long k, DType dtype, int[] batches, DeviceTimer timer, int calls) {
        try (Tensor dense = RandomTensors.gaussian(n * k, dtype, gpu, 2); Tensor w = dense.reshape(n, k)) {
            for (AbsmaxStorage storage : AbsmaxStorage.values()) {
                try (FourBitQuantized q = FourBit.quantize(w, NF4_64.withAbsmax(storage))) {
                    for (int batch : batches) {
                        try (Tensor x = RandomTensors.gaussian(batch * k, dtype, gpu, 3);
                                Tensor a = x.reshape(batch, k);
                                Tensor out = Tensor.empty(dtype, gpu, batch, n)) {
                            Runnable nf4 = () -> FourBit.matmul4bitInto(a, q.packed(), q.state(), out);
                            MatrixOperand xa = MatrixOperand.of(a);
                            MatrixOperand wt = MatrixOperand.transposed(w);
                            double nf4Us = timer.medianMs(nf4) * 1e3;
                            double denseUs = timer.medianMs(() -> Gemm.gemmInto(xa, wt, 1f, 0f, out)) * 1e3;
                            System.out.println(new JsonLine().put("kind", "gemv4bit").put("N", n).put("K", k)
                                    .put("dtype", name(dtype)).put("batch", batch)
                                    .put("nested", storage == AbsmaxStorage.NESTED)
                                    .put("nf4_us", nf4Us).put("dense_us", denseUs).put("call_us", callUs(nf4, calls)));
                        }
                    }
                }
            }
        }
    }

    /** The fused GEMV against dequantize + GEMM for batches the fused path takes. */
    private void crossover(long n, long k, DType dtype) {
        DeviceTimer timer = new DeviceTimer(gpu, 100, 5);
        try (Tensor dense = RandomTensors.gaussian(n * k, dtype, gpu, 2); Tensor w = dense.reshape(n, k);
                FourBitQuantized q = FourBit.quantize(w, NF4_64); Tensor weight = Tensor.empty(dtype, gpu, n, k)) {
            MatrixOperand wt = MatrixOperand.transposed(weight);
            for (int batch : CROSSOVER_BATCHES) {
                try (Tensor x = RandomTensors.gaussian(batch * k, dtype, gpu, 3);
                        Tensor a = x.reshape(batch, k);
                        Tensor out = Tensor.empty(dtype, gpu, batch, n)) {
                    MatrixOperand xa = MatrixOperand.of(a);
                    double fusedUs = timer.medianMs(() -> FourBit.matmul4bitInto(a, q.packed(), q.state(), out)) * 1e3;
                    double otherUs = timer.medianMs(() -> {
                        FourBit.dequantizeInto(q.packed(), q.state(), weight);
                        Gemm.gemmInto(xa, wt, 1f, 0f, out);
                    }) * 1e3;
                    System.out.println(new JsonLine().put("kind", "gemv4bit_crossover").put("N", n).put("K", k)
                            .put("dtype", name(dtype)).put("batch", batch).put("fused_us", fusedUs)
                            .put("dequant_gemm_us", otherUs));
                }
            }
        }
    }

    /** Median wall microseconds per call over loops of {@code calls} calls, each loop synchronized at its end. */
    private double callUs(Runnable call, int calls) {
        CudaStream stream = CudaStream.current(gpu);
        for (int i = 0; i < calls; i++) {
            call.run();
        }
        stream.synchronize();
        double[] us = new double[7];
        for (int r = 0; r < us.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                call.run();
            }
            stream.synchronize();
            us[r] = (System.nanoTime() - start) / 1e3 / calls;
        }
        Arrays.sort(us);
        return us[us.length / 2];
    }

    private static String name(DType dtype) {
        return dtype.name().toLowerCase(Locale.ROOT);
    }
}
