package io.github.bnb4j.examples;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * Batches of a learnable but not trivial classification task: inputs from N(0, 1), labels the argmax of a random
 * linear teacher. The current batch is kept on the host until {@link #next()} draws the following one.
 */
public final class SyntheticData {
    private final Random random;
    private final float[][] teacher;
    private final float[][] x;
    private final int[] labels;

    /** Batches of {@code batch} samples for {@code teacher} [classes][in], drawn from {@code random}. */
    public SyntheticData(Random random, float[][] teacher, int batch) {
        this.random = random;
        this.teacher = teacher;
        this.x = new float[batch][teacher[0].length];
        this.labels = new int[batch];
        next();
    }

    /** A random linear teacher [classes][in]. */
    public static float[][] teacher(Random r, int classes, int in) {
        float[][] w = new float[classes][in];
        for (float[] row : w) {
            for (int i = 0; i < in; i++) {
                row[i] = (float) r.nextGaussian();
            }
        }
        return w;
    }

    /** Draws the next batch. */
    public void next() {
        for (int s = 0; s < x.length; s++) {
            for (int i = 0; i < x[s].length; i++) {
                x[s][i] = (float) random.nextGaussian();
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < teacher.length; k++) {
                double score = 0;
                for (int i = 0; i < x[s].length; i++) {
                    score += teacher[k][i] * x[s][i];
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = k;
                }
            }
            labels[s] = best;
        }
    }

    /** The batch's inputs [batch][in] (the host copy, not to be modified). */
    public float[][] hostInputs() {
        return x;
    }

    /** The batch's labels [batch] (the host copy, not to be modified). */
    public int[] hostLabels() {
        return labels;
    }

    /** The inputs as an F32 [batch, in] tensor on {@code device}. */
    public Tensor inputs(Device device) {
        int in = x[0].length;
        float[] flat = new float[x.length * in];
        for (int s = 0; s < x.length; s++) {
            System.arraycopy(x[s], 0, flat, s * in, in);
        }
        return Tensor.fromFloats(flat, DType.F32, device, x.length, in);
    }

    /** The labels as an I32 [batch] tensor on {@code device}. */
    public Tensor labels(Device device) {
        return Tensor.fromInts(labels, device, labels.length);
    }
}
