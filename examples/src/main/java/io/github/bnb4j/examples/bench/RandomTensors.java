package io.github.bnb4j.examples.bench;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/** Large random device tensors without a multi-GiB host array: a random chunk tiled by device copies. */
final class RandomTensors {
    private static final int CHUNK = 1 << 22;

    private RandomTensors() {
    }

    /** Normal(0, 1) values of {@code dtype}; the caller closes the tensor. */
    static Tensor gaussian(long n, DType dtype, Device device, long seed) {
        Random random = new Random(seed);
        int chunk = (int) Math.min(n, CHUNK);
        float[] values = new float[chunk];
        for (int i = 0; i < chunk; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Tensor out = Tensor.empty(dtype, device, n);
        try (Tensor block = Tensor.fromFloats(values, dtype, device, chunk)) {
            for (long start = 0; start < n; start += chunk) {
                long count = Math.min(chunk, n - start);
                try (Tensor dst = Tensor.wrap(out.address() + start * dtype.byteSize(), dtype, device, count);
                        Tensor src = Tensor.wrap(block.address(), dtype, device, count)) {
                    dst.copyFrom(src);
                }
            }
        }
        return out;
    }
}
