package io.github.bnb4j.examples;

import java.util.List;
import java.util.Random;
import java.util.function.Function;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.nn.Elementwise;
import io.github.bnb4j.examples.readme.TrainingSnippet;
import io.github.bnb4j.nn.CrossEntropyLoss;
import io.github.bnb4j.nn.Sequential;
import io.github.bnb4j.optim.Adam;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.ParamState;

/**
 * The one-line swap bnb4j is for: the README's model ({@code Sequential(Linear, Tanh, Linear)} of bnb-nn) trained
 * twice on the same synthetic data, once with {@code new Adam(params)} and once with {@code new Adam8bit(params)}.
 * Forward, loss, backward and optimizer step run on the device (the GPU when there is one, else the CPU); the host
 * copies each batch there and reads the loss once every 50 steps. It prints the mean loss of every 50 steps and the
 * optimizer-state bytes: the same convergence with about 75% less state.
 */
public final class TrainingExample {
    static final int IN = 64;
    static final int HIDDEN = 512;
    static final int CLASSES = 10;
    private static final int STEPS = 300;
    private static final int BATCH = 64;
    private static final int REPORT_EVERY = 50;

    private TrainingExample() {
    }

    public static void main(String[] args) {
        Device device = Device.best();
        System.out.printf("Training a %d-%d-%d MLP (bnb-nn layers) on synthetic data on %s, %d steps of %d samples%n",
                IN, HIDDEN, CLASSES, device, STEPS, BATCH);
        float[][] teacher = SyntheticData.teacher(new Random(7), CLASSES, IN);
        long adamBytes = train("Adam", Adam::new, device, teacher);
        long adam8Bytes = train("Adam8bit", Adam8bit::new, device, teacher);
        System.out.printf("optimizer state: Adam %d bytes, Adam8bit %d bytes (%.0f%% less)%n", adamBytes, adam8Bytes,
                100.0 * (1 - (double) adam8Bytes / adamBytes));
    }

    private static long train(String name, Function<List<Parameter>, Optimizer> make, Device device,
            float[][] teacher) {
        SyntheticData data = new SyntheticData(new Random(11), teacher, BATCH);
        try (Sequential model = TrainingSnippet.model(IN, HIDDEN, CLASSES, device, 3);
                CrossEntropyLoss lossFn = new CrossEntropyLoss();
                Optimizer opt = make.apply(model.parameters());
                Tensor lossSum = Tensor.zeros(DType.F32, device)) {
            for (int step = 1; step <= STEPS; step++) {
                try (Tensor x = data.inputs(device); Tensor labels = data.labels(device);
                        Tensor loss = TrainingSnippet.step(model, lossFn, opt, x, labels)) {
                    Elementwise.addInPlace(lossSum, loss, 1f); // summed on the device: no sync per step
                }
                data.next();
                if (step % REPORT_EVERY == 0) {
                    System.out.printf("%-9s step %3d  loss %.4f%n", name, step,
                            lossSum.toFloatArray()[0] / REPORT_EVERY);
                    lossSum.fillZero();
                }
            }
            long bytes = 0;
            for (Parameter p : model.parameters()) {
                bytes += stateBytes(opt.state(p));
            }
            return bytes;
        }
    }

    private static long stateBytes(ParamState s) {
        long total = 0;
        for (Tensor t : new Tensor[] {s.state1(), s.state2(), s.absmax1(), s.absmax2()}) {
            if (t != null) {
                total += t.byteSize();
            }
        }
        return total;
    }
}
