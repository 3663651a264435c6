package io.github.bnb4j.examples.bench;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Shapes;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nn.llama.LlamaWeights;

/**
 * Random Llama weights made on the device without a host array of a weight's size: one block of N(0, 0.02²) values
 * per dtype (Llama's {@code initializer_range}) is drawn on the host once, uploaded, and tiled into every matrix by
 * device copies; the norms' weights are ones. Matrices share their values, which does not change the speed of a
 * forward pass. Close it to free the blocks.
 */
final class RandomLlamaWeights implements LlamaWeights, AutoCloseable {
    private static final int BLOCK = 1 << 22;
    private static final double STD = 0.02;

    private final Map<DType, Tensor> blocks = new EnumMap<>(DType.class);
    private final Device device;

    RandomLlamaWeights(Device device) {
        this.device = device;
    }

    @Override
    public Tensor dense(String name, long[] shape, DType dtype, Device target) {
        long n = Shapes.numel(shape);
        if (shape.length == 1) {
            float[] ones = new float[Math.toIntExact(n)];
            Arrays.fill(ones, 1f);
            return Tensor.fromFloats(ones, dtype, target, shape);
        }
        Tensor block = blocks.computeIfAbsent(dtype, this::block);
        Tensor out = Tensor.empty(dtype, target, shape);
        Tensor flat = out.reshape(n);
        for (long start = 0; start < n; start += BLOCK) {
            long count = Math.min(BLOCK, n - start);
            flat.narrow(start, count).copyFrom(block.narrow(0, count));
        }
        return out;
    }

    @Override
    public Map<String, Tensor> quantized(String module, Device target) {
        return Map.of(); // every weight is dense: the loader quantizes it as it loads
    }

    private Tensor block(DType dtype) {
        Random random = new Random(dtype.ordinal());
        float[] values = new float[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            values[i] = (float) (random.nextGaussian() * STD);
        }
        return Tensor.fromFloats(values, dtype, device, BLOCK);
    }

    @Override
    public void close() {
        blocks.values().forEach(Tensor::close);
    }
}
