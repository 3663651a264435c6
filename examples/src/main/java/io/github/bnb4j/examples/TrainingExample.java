package io.github.bnb4j.examples;

import java.util.Random;
import java.util.function.Function;
import java.util.List;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.optim.Adam;
import io.github.bnb4j.optim.Adam8bit;
import io.github.bnb4j.optim.Optimizer;
import io.github.bnb4j.optim.ParamState;

/**
 * The one-line swap bnb4j is for: the same model trained twice on the same synthetic data, once with
 * {@code new Adam(params)} and once with {@code new Adam8bit(params)}. It prints the loss every 50 steps
 * and the optimizer-state bytes: the same convergence with about 75% less state. Runs on the GPU when
 * there is one, else on the CPU.
 */
public final class TrainingExample {
    private static final int IN = 64;
    private static final int HIDDEN = 512;
    private static final int CLASSES = 10;
    private static final int STEPS = 300;
    private static final int BATCH = 64;

    private TrainingExample() {
    }

    public static void main(String[] args) {
        Device device = Device.best();
        System.out.printf("Training a %d-%d-%d MLP on synthetic data on %s, %d steps of %d samples%n", IN, HIDDEN,
                CLASSES, device, STEPS, BATCH);
        float[][] teacher = teacher(new Random(7));
        long adamBytes = train("Adam", Adam::new, device, teacher);
        long adam8Bytes = train("Adam8bit", Adam8bit::new, device, teacher);
        System.out.printf("optimizer state: Adam %d bytes, Adam8bit %d bytes (%.0f%% less)%n", adamBytes, adam8Bytes,
                100.0 * (1 - (double) adam8Bytes / adamBytes));
    }

    private static long train(String name, Function<List<Parameter>, Optimizer> make, Device device,
            float[][] teacher) {
        Random data = new Random(11);
        try (TinyMlp model = new TinyMlp(IN, HIDDEN, CLASSES, device, 3); Optimizer opt = make.apply(model.params)) {
            float avg = 0;
            for (int step = 1; step <= STEPS; step++) {
                float[][] x = new float[BATCH][IN];
                int[] y = new int[BATCH];
                sample(data, teacher, x, y);
                avg += model.lossAndGradients(x, y);
                opt.step();
                if (step % 50 == 0) {
                    System.out.printf("%-9s step %3d  loss %.4f%n", name, step, avg / 50);
                    avg = 0;
                }
            }
            long bytes = 0;
            for (Parameter p : model.params) {
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

    /** Labels come from a random linear teacher, so the task is learnable but not trivial. */
    private static float[][] teacher(Random r) {
        float[][] w = new float[CLASSES][IN];
        for (float[] row : w) {
            for (int i = 0; i < IN; i++) {
                row[i] = (float) r.nextGaussian();
            }
        }
        return w;
    }

    private static void sample(Random r, float[][] teacher, float[][] x, int[] y) {
        for (int s = 0; s < x.length; s++) {
            for (int i = 0; i < IN; i++) {
                x[s][i] = (float) r.nextGaussian();
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < CLASSES; k++) {
                double score = 0;
                for (int i = 0; i < IN; i++) {
                    score += teacher[k][i] * x[s][i];
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = k;
                }
            }
            y[s] = best;
        }
    }
}
