package io.github.bnb4j.examples;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.core.functional.AbsmaxStorage;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.Blockwise;
import io.github.bnb4j.core.functional.BlockwiseOptions;
import io.github.bnb4j.core.functional.Quantized;

/**
 * Quantizes a weight-like tensor blockwise to 8 bits on the best available device (the GPU when there is
 * one, else the CPU), dequantizes it, and prints the error and the memory saved for several block sizes.
 */
public final class QuantizeExample {
    private QuantizeExample() {
    }

    public static void main(String[] args) {
        Device device = Device.best();
        int rows = 1024;
        int cols = 4096;
        System.out.printf("bnb4j blockwise 8-bit quantization of a %d x %d bf16 tensor on %s%n", rows, cols, device);
        float[] values = new float[rows * cols];
        Random random = new Random(42);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02);
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor weight = Tensor.fromFloats(values, DType.BF16, device, rows, cols);
            float[] exact = weight.toFloatArray();
            System.out.printf("%-10s %-8s %14s %14s %12s %8s%n", "blocksize", "absmax", "mean abs err", "max abs err",
                    "bytes", "saved");
            for (Blocksize bs : new Blocksize[] {Blocksize.B64, Blocksize.B256, Blocksize.B4096}) {
                for (AbsmaxStorage storage : AbsmaxStorage.values()) {
                    Quantized q = Blockwise.quantize(weight,
                            BlockwiseOptions.defaults().withBlocksize(bs).withAbsmax(storage));
                    float[] back = Blockwise.dequantize(q.codes(), q.state()).toFloatArray();
                    double sum = 0;
                    double max = 0;
                    for (int i = 0; i < exact.length; i++) {
                        double d = Math.abs(exact[i] - back[i]);
                        sum += d;
                        max = Math.max(max, d);
                    }
                    long bytes = q.codes().byteSize() + q.state().byteSize();
                    System.out.printf("%-10d %-8s %14.3e %14.3e %12d %7.1f%%%n", bs.value(), storage,
                            sum / exact.length, max, bytes, 100.0 * (1 - (double) bytes / weight.byteSize()));
                }
            }
            System.out.printf("original: %d bytes (bf16)%n", weight.byteSize());
        }
    }
}
