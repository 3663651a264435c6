package io.github.bnb4j.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Quantiles;
import io.github.bnb4j.nativelib.Bnb;

/**
 * Quantile estimation throughput on cuda:0, one JSON line per (dtype, n) for n = 2^20, 2^24, .., 2^max:
 * {@code {"kind":"quantiles","dtype":..,"n":..,"ms":..,"gbs":..,"torch_sort_ms":..}}. Bytes counted: input read
 * plus the 256 quantiles written. {@code torch_sort_ms} is PyTorch's {@code torch.sort} of the same tensor on the
 * same GPU, read from the lines of {@code scripts/bench/torch_sort.py} in the file that the environment variable
 * {@code TORCH_SORT_JSONL} names (the GPU bundle's run script sets it); without it the field is null.
 * Arguments: [max log2 n] (default 28). Without a CUDA GPU it says so and exits normally.
 */
public final class QuantilesBenchmark {
    private static final Pattern TORCH_LINE =
            Pattern.compile("\"dtype\":\"(\\w+)\",\"n\":(\\d+),\"torch_sort_ms\":([-+.\\deE]+)");

    private QuantilesBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        if (!Bnb.isCudaAvailable()) {
            System.err.println("QuantilesBenchmark measures the CUDA kernels and needs a CUDA GPU; none is usable: "
                    + Bnb.report().selection().reason());
            return;
        }
        int maxLog2 = args.length > 0 ? Integer.parseInt(args[0]) : 28;
        Map<String, Double> torchMs = torchSortMs();
        Device gpu = Device.cuda(0);
        DeviceTimer timer = new DeviceTimer(gpu, 10, 5);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
            String name = dtype.name().toLowerCase();
            for (int log2 = 20; log2 <= maxLog2; log2 += 4) {
                long n = 1L << log2;
                double ms;
                // The output is allocated once: the timed loop is the kernels.
                try (Tensor input = RandomTensors.gaussian(n, dtype, gpu, log2);
                        Tensor out = Tensor.empty(DType.F32, gpu, Quantiles.MAX_QUANTILES)) {
                    ms = timer.medianMs(() -> Quantiles.estimateInto(input, Quantiles.DEFAULT_OFFSET, out));
                }
                double bytes = n * dtype.byteSize() + Quantiles.MAX_QUANTILES * 4.0;
                System.out.println(new JsonLine().put("kind", "quantiles").put("dtype", name).put("n", n)
                        .put("ms", ms).put("gbs", bytes / ms / 1e6)
                        .put("torch_sort_ms", torchMs.getOrDefault(name + "/" + n, Double.NaN)));
            }
        }
    }

    /** "dtype/n" to milliseconds, from the torch_sort.py lines of $TORCH_SORT_JSONL (empty when unset). */
    private static Map<String, Double> torchSortMs() throws IOException {
        Map<String, Double> out = new HashMap<>();
        String path = System.getenv("TORCH_SORT_JSONL");
        if (path == null || !Files.isReadable(Path.of(path))) {
            return out;
        }
        for (String line : Files.readAllLines(Path.of(path))) {
            Matcher m = TORCH_LINE.matcher(line);
            if (m.find()) {
                out.put(m.group(1) + "/" + m.group(2), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }
}
