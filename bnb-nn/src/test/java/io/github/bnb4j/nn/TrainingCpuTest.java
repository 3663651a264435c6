package io.github.bnb4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.optim.Adam8bit;
import org.junit.jupiter.api.Test;

/**
 * bnb-optim's Adam8bit (8-bit state for every tensor) trains a small Sequential of Linear layers on a linear
 * regression through the modules' backward: the loss falls by two orders of magnitude.
 */
class TrainingCpuTest {
    @Test
    void adam8bitTrainsASequentialOfLinearLayers() {
        int batch = 32;
        int in = 8;
        Random r = new Random(1);
        float[] target = new float[in];
        for (int i = 0; i < in; i++) {
            target[i] = (float) r.nextGaussian();
        }
        try (Sequential model = new Sequential(Linear.builder(in, 16).seed(2).build(),
                Linear.builder(16, 1).seed(3).build());
                Adam8bit optimizer = Adam8bit.builder().params(model.parameters()).lr(1e-2f).minEightBitSize(0)
                        .build()) {
            double first = 0;
            double last = 0;
            for (int step = 0; step < 300; step++) {
                try (TensorScope scope = TensorScope.open()) {
                    float[] x = new float[batch * in];
                    float[] y = new float[batch];
                    for (int i = 0; i < batch; i++) {
                        for (int j = 0; j < in; j++) {
                            x[i * in + j] = (float) r.nextGaussian();
                            y[i] += x[i * in + j] * target[j];
                        }
                    }
                    float[] out = model.forward(Tensor.fromFloats(x, DType.F32, Device.cpu(), batch, in))
                            .toFloatArray();
                    float[] grad = new float[batch];
                    double loss = 0;
                    for (int i = 0; i < batch; i++) {
                        loss += (out[i] - y[i]) * (out[i] - y[i]) / batch;
                        grad[i] = 2 * (out[i] - y[i]) / batch;
                    }
                    optimizer.zeroGrad();
                    model.backward(Tensor.fromFloats(grad, DType.F32, Device.cpu(), batch, 1));
                    optimizer.step();
                    first = step == 0 ? loss : first;
                    last = loss;
                }
            }
            assertTrue(last < first / 100, "loss " + first + " -> " + last);
        }
    }
}
