package io.github.bnb4j.examples.bench;

import java.util.Optional;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.AbsmaxScales;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.Blockwise;
import io.github.bnb4j.core.functional.BlockwiseOptions;
import io.github.bnb4j.core.functional.Quantized;

/**
 * Blockwise 8-bit quantize and dequantize throughput on cuda:0 (without a GPU it says so and ends), one JSON line
 * per (dtype, blocksize):
 * {@code {"kind":"blockwise","dtype":..,"n":..,"blocksize":..,"quant_ms":..,"dequant_ms":..,"quant_gbs":..,
 * "dequant_gbs":..}}. Bytes counted: input read plus output written (codes, absmax / values).
 * Arguments: [log2 n] (default 28).
 */
public final class BlockwiseBenchmark {
    private BlockwiseBenchmark() {
    }

    public static void main(String[] args) {
        long n = 1L << (args.length > 0 ? Integer.parseInt(args[0]) : 28);
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("BlockwiseBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        DeviceTimer timer = new DeviceTimer(gpu, 10, 5);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            try (Tensor input = RandomTensors.gaussian(n, dtype, gpu, 1)) {
                for (Blocksize bs : Blocksize.EIGHT_BIT) {
                    BlockwiseOptions options = BlockwiseOptions.defaults().withBlocksize(bs);
                    double quantMs;
                    double dequantMs;
                    // Outputs are allocated once: the timed loop is the kernels, not cudaMalloc/cudaFree.
                    try (Quantized q = Blockwise.quantize(input, options);
                            Tensor out = Tensor.empty(dtype, gpu, n)) {
                        Tensor absmax = ((AbsmaxScales.Plain) q.state().scales()).absmax();
                        quantMs = timer.medianMs(() -> Blockwise.quantizeInto(input, q.codes(), absmax, options));
                        dequantMs = timer.medianMs(() -> Blockwise.dequantizeInto(q.codes(), q.state(), out));
                    }
                    long absmaxBytes = bs.blocks(n) * 4;
                    long valueBytes = n * dtype.byteSize();
                    double quantBytes = valueBytes + n + absmaxBytes;
                    double dequantBytes = n + absmaxBytes + valueBytes;
                    System.out.println(new JsonLine().put("kind", "blockwise").put("dtype", dtype.name().toLowerCase())
                            .put("n", n).put("blocksize", bs.value()).put("quant_ms", quantMs)
                            .put("dequant_ms", dequantMs).put("quant_gbs", quantBytes / quantMs / 1e6)
                            .put("dequant_gbs", dequantBytes / dequantMs / 1e6));
                }
            }
        }
    }
}
