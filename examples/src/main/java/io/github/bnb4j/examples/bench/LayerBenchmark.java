package io.github.bnb4j.examples.bench;

import java.util.Arrays;
import java.util.Optional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.FourBit;
import io.github.bnb4j.nn.Linear4bit;
import io.github.bnb4j.nn.LinearNF4;

/**
 * Host overhead of a bnb-nn layer over its functional op on cuda:0 (without a GPU it says so and ends), as JSON
 * lines:
 * {@code {"kind":"layer4bit","N":4096,"K":4096,"dtype":"bf16","batch":1,"nested":..,"call_us":..,"op_call_us":..,
 * "overhead_us":..}}. {@code call_us} is the wall time of one {@code LinearNF4.forward} (eval mode, bias, output
 * allocated and closed by the loop), {@code op_call_us} that of {@code FourBit.matmul4bit} with the same packed
 * weight, state, bias and input called directly, each the median of loops of back-to-back calls synchronized once
 * at their end; {@code overhead_us} is their difference (issue 11's target: at most 2 µs).
 */
public final class LayerBenchmark {
    private static final int CALLS = 2000;
    private static final long SIDE = 4096;

    private LayerBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("LayerBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        for (boolean nested : new boolean[] {false, true}) {
            try (Linear4bit layer = LinearNF4.builder(SIDE, SIDE).computeDtype(DType.BF16)
                    .compressStatistics(nested).device(gpu).seed(1).build();
                    Tensor values = RandomTensors.gaussian(SIDE, DType.BF16, gpu, 2);
                    Tensor x = values.reshape(1, SIDE)) {
                layer.eval();
                Tensor bias = layer.bias().value();
                Runnable viaLayer = () -> layer.forward(x).close();
                Runnable viaOp = () -> FourBit.matmul4bit(x, layer.weight().packed(), layer.weight().state(), bias)
                        .close();
                callUs(gpu, viaLayer); // warm-up of both paths (JIT, allocator) before timing
                callUs(gpu, viaOp);
                double opUs = callUs(gpu, viaOp);
                double layerUs = callUs(gpu, viaLayer);
                System.out.println(new JsonLine().put("kind", "layer4bit").put("N", SIDE).put("K", SIDE)
                        .put("dtype", "bf16").put("batch", 1).put("nested", nested).put("call_us", layerUs)
                        .put("op_call_us", opUs).put("overhead_us", layerUs - opUs));
            }
        }
    }

    /** Median wall microseconds per call over loops of {@link #CALLS} calls, each loop synchronized at its end. */
    private static double callUs(Device gpu, Runnable call) {
        CudaStream stream = CudaStream.current(gpu);
        double[] us = new double[7];
        for (int r = 0; r < us.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                call.run();
            }
            stream.synchronize();
            us[r] = (System.nanoTime() - start) / 1e3 / CALLS;
        }
        Arrays.sort(us);
        return us[us.length / 2];
    }
}
