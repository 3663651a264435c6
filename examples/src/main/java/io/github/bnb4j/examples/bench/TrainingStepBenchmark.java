package io.github.bnb4j.examples.bench;

import java.util.Arrays;
import java.util.Optional;
import java.util.Random;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.examples.SyntheticData;
import io.github.bnb4j.examples.readme.TrainingSnippet;
import io.github.bnb4j.nn.CrossEntropyLoss;
import io.github.bnb4j.nn.Sequential;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.Optimizer;

/**
 * The README example's training step (64-512-10 MLP, batch 64, Adam8bit) before and after bnb-nn, on cuda:0
 * (without a GPU it says so and ends), as JSON lines:
 * {@code {"kind":"train_step","model":"mlp64-512-10","batch":64,"optimizer":"Adam8bit","variant":..,"step_ms":..}}.
 * {@code variant} {@code host_mlp} is the old example: forward and backward in Java arrays on the host, the
 * parameters read from the device and the four gradients copied to it every step, then the optimizer step on the
 * device. {@code bnb_nn} is the example now: {@code TrainingSnippet.step} (bnb-nn layers, cross-entropy and the
 * optimizer all on the device, no gradient copies). Both include copying the batch to the device; the loss is read
 * (a host synchronisation) once per timed loop. {@code step_ms} is the median over 7 loops of 50 steps.
 */
public final class TrainingStepBenchmark {
    private static final int IN = 64;
    private static final int HIDDEN = 512;
    private static final int CLASSES = 10;
    private static final int BATCH = 64;
    private static final int STEPS = 50;

    private TrainingStepBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("TrainingStepBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        SyntheticData data = new SyntheticData(new Random(11), SyntheticData.teacher(new Random(7), CLASSES, IN),
                BATCH);
        try (HostMlp mlp = new HostMlp(IN, HIDDEN, CLASSES, gpu, 3); Optimizer opt = new Adam8bit(mlp.params)) {
            print("host_mlp", stepMs(gpu, () -> {
                mlp.lossAndGradients(data.hostInputs(), data.hostLabels());
                opt.step();
                data.next();
            }));
        }
        try (Sequential model = TrainingSnippet.model(IN, HIDDEN, CLASSES, gpu, 3);
                CrossEntropyLoss lossFn = TrainingSnippet.lossFunction();
                Optimizer opt = TrainingSnippet.optimizer(model)) {
            print("bnb_nn", stepMs(gpu, () -> {
                try (Tensor x = data.inputs(gpu); Tensor labels = data.labels(gpu);
                        Tensor loss = TrainingSnippet.step(model, lossFn, opt, x, labels)) {
                    data.next();
                }
            }));
        }
    }

    private static void print(String variant, double ms) {
        System.out.println(new JsonLine().put("kind", "train_step").put("model", "mlp" + IN + "-" + HIDDEN + "-"
                + CLASSES).put("batch", BATCH).put("optimizer", "Adam8bit").put("variant", variant)
                .put("step_ms", ms));
    }

    /** Median milliseconds per step over loops of {@link #STEPS} steps, each loop synchronized at its end. */
    private static double stepMs(Device gpu, Runnable step) {
        CudaStream stream = CudaStream.current(gpu);
        for (int i = 0; i < STEPS; i++) { // warm-up: JIT, allocator, optimizer state
            step.run();
        }
        double[] ms = new double[7];
        for (int r = 0; r < ms.length; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < STEPS; i++) {
                step.run();
            }
            stream.synchronize();
            ms[r] = (System.nanoTime() - start) / 1e6 / STEPS;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }
}
