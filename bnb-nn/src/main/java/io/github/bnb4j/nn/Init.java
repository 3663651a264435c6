package io.github.bnb4j.nn;

import java.util.random.RandomGenerator;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;

/**
 * PyTorch's (and upstream's embeddings') initialisations, drawn on the host from a seeded generator and copied to
 * the device once, at construction.
 */
final class Init {
    private Init() {
    }

    /**
     * {@code nn.Linear}'s {@code kaiming_uniform_(a = sqrt(5))} (and PEFT's for LoRA's A), which is
     * {@code U(-1/sqrt(fanIn), 1/sqrt(fanIn))}; {@code nn.Linear}'s bias uses the same bound.
     */
    static Tensor kaimingUniform(RandomGenerator rng, long fanIn, DType dtype, Device device, long... shape) {
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        int n = Math.toIntExact(io.github.bnb4j.core.Shapes.numel(shape));
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return Tensor.fromFloats(values, dtype, device, shape);
    }

    /**
     * A layer's initial tensor: {@link #kaimingUniform} values, or zeros made on the device when {@code zero} (a
     * layer whose state is loaded next: no host random numbers, no host array of the weight's size).
     */
    static Tensor initial(boolean zero, RandomGenerator rng, long fanIn, DType dtype, Device device, long... shape) {
        return zero ? Tensor.zeros(dtype, device, shape) : kaimingUniform(rng, fanIn, dtype, device, shape);
    }

    /** A new parameter of {@link #initial} values; the caller registers it. */
    static Parameter initialParameter(String name, boolean zero, RandomGenerator rng, long fanIn, DType dtype,
            Device device, long... shape) {
        return new Parameter(name, initial(zero, rng, fanIn, dtype, device, shape));
    }

    /** A new parameter of {@link #kaimingUniform} values; the caller registers it. */
    static Parameter kaimingParameter(String name, RandomGenerator rng, long fanIn, DType dtype, Device device,
            long... shape) {
        return new Parameter(name, kaimingUniform(rng, fanIn, dtype, device, shape));
    }

    /**
     * {@code xavier_uniform_} of a [V, D] table (upstream's embeddings): {@code U(-b, b)}, {@code b = sqrt(6 / (D +
     * V))} (fan in D, fan out V), with row {@code zeroRow} zeroed when it is not negative (the padding index).
     */
    static Tensor xavierUniformTable(RandomGenerator rng, long rows, long cols, long zeroRow, DType dtype,
            Device device) {
        double bound = Math.sqrt(6.0 / (rows + cols));
        float[] values = new float[Math.toIntExact(Math.multiplyExact(rows, cols))];
        for (int i = 0; i < values.length; i++) {
            values[i] = zeroRow >= 0 && i / cols == zeroRow ? 0f : (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return Tensor.fromFloats(values, dtype, device, rows, cols);
    }

    /** {@code torch.nn.Embedding}'s {@code normal_(0, 1)} of a [V, D] table (the quantized embeddings' start). */
    static Tensor normalTable(RandomGenerator rng, long rows, long cols, DType dtype, Device device) {
        float[] values = new float[Math.toIntExact(Math.multiplyExact(rows, cols))];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        return Tensor.fromFloats(values, dtype, device, rows, cols);
    }

    /** A generator: seeded when a seed was given, else a fresh one. */
    static RandomGenerator generator(Long seed) {
        return seed == null ? new java.util.SplittableRandom() : new java.util.SplittableRandom(seed);
    }
}
