package io.github.bnb4j.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.DeviceMemory;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.optim.Adam32bit;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.AdamW8bit;
import io.github.bnb4j.optim.Lion8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.PagedAdamW8bit;
import io.github.bnb4j.optim.ParamState;

/**
 * Optimizer step time on cuda:0 (without a GPU it says so and ends), one JSON line per (case, dtype, optimizer):
 * {@code {"kind":"optim","case":..,"dtype":..,"optimizer":..,"params":..,"tensors":..,"step_ms":..,
 * "state_bytes_per_param":..,"gparams_per_s":..,"device_state_bytes_per_param":..}}.
 * Cases: one tensor of 2^30 elements ({@code single_2^30}) and the GPT-2-medium parameter set
 * ({@code gpt2_medium}, 292 tensors, 354,823,168 parameters). {@code state_bytes_per_param} counts the
 * optimizer's state tensors; {@code device_state_bytes_per_param} the drop in free device memory when the
 * state is created (0 for paged state, which lives in managed memory).
 */
public final class OptimizerBenchmark {
    private OptimizerBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("OptimizerBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        List<Function<List<Parameter>, Optimizer>> optimizers = List.of(Adam8bit::new, AdamW8bit::new,
                Lion8bit::new, Adam32bit::new, PagedAdamW8bit::new);
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            for (String name : new String[] {"single_2^30", "gpt2_medium"}) {
                List<long[]> shapes = name.equals("gpt2_medium") ? gpt2Medium() : List.of(new long[] {1L << 30});
                List<Parameter> params = parameters(shapes, dtype, gpu);
                try {
                    for (Function<List<Parameter>, Optimizer> make : optimizers) {
                        run(name, dtype, params, make, gpu);
                    }
                } finally {
                    params.forEach(Parameter::close);
                }
            }
        }
    }

    private static void run(String name, DType dtype, List<Parameter> params,
            Function<List<Parameter>, Optimizer> make, Device gpu) {
        long n = params.stream().mapToLong(p -> p.value().numel()).sum();
        long freeBefore = DeviceMemory.of(gpu).freeBytes();
        try (Optimizer opt = make.apply(params)) {
            opt.step(); // creates the state
            long deviceState = Math.max(0, freeBefore - DeviceMemory.of(gpu).freeBytes());
            long stateBytes = 0;
            for (Parameter p : params) {
                stateBytes += bytes(opt.state(p));
            }
            double ms = new DeviceTimer(gpu, 20, 5).medianMs(opt::step);
            System.out.println(new JsonLine().put("kind", "optim").put("case", name)
                    .put("dtype", dtype.name().toLowerCase()).put("optimizer", opt.getClass().getSimpleName())
                    .put("params", n).put("tensors", params.size()).put("step_ms", ms)
                    .put("state_bytes_per_param", (double) stateBytes / n).put("gparams_per_s", n / ms / 1e6)
                    .put("device_state_bytes_per_param", (double) deviceState / n));
        }
    }

    private static long bytes(ParamState s) {
        long total = 0;
        for (Tensor t : new Tensor[] {s.state1(), s.state2(), s.absmax1(), s.absmax2(), s.unorm(), s.gnorm()}) {
            if (t != null) {
                total += t.byteSize();
            }
        }
        return total;
    }

    private static List<Parameter> parameters(List<long[]> shapes, DType dtype, Device gpu) {
        List<Parameter> params = new ArrayList<>();
        long seed = 1;
        for (long[] shape : shapes) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            Parameter p = new Parameter("p" + params.size(), RandomTensors.gaussian(n, dtype, gpu, seed++));
            p.setGrad(RandomTensors.gaussian(n, dtype, gpu, seed++));
            params.add(p);
        }
        return params;
    }


    /** GPT-2 medium: embeddings, 24 blocks of 12 tensors, final layer norm. */
    static List<long[]> gpt2Medium() {
        List<long[]> s = new ArrayList<>();
        s.add(new long[] {50257, 1024});
        s.add(new long[] {1024, 1024});
        for (int layer = 0; layer < 24; layer++) {
            s.add(new long[] {1024});
            s.add(new long[] {1024});
            s.add(new long[] {3072, 1024});
            s.add(new long[] {3072});
            s.add(new long[] {1024, 1024});
            s.add(new long[] {1024});
            s.add(new long[] {1024});
            s.add(new long[] {1024});
            s.add(new long[] {4096, 1024});
            s.add(new long[] {4096});
            s.add(new long[] {1024, 4096});
            s.add(new long[] {1024});
        }
        s.add(new long[] {1024});
        s.add(new long[] {1024});
        return s;
    }
}
