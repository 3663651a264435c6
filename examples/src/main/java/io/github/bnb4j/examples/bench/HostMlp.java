package io.github.bnb4j.examples.bench;

import java.util.List;
import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.Tensor;

/**
 * The README example's model as it was before bnb-nn, kept only so that {@link TrainingStepBenchmark} can time the
 * old training step: a two-layer perceptron {@code softmax(W2 · tanh(W1 · x + b1) + b2)} whose forward and backward
 * passes run on the host in plain Java, reading the parameters from the device and copying every gradient back to
 * it each step; the optimizer updates the parameters on the device.
 */
final class HostMlp implements AutoCloseable {
    final int in;
    final int hidden;
    final int out;
    final List<Parameter> params;

    HostMlp(int in, int hidden, int out, Device device, long seed) {
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        Random r = new Random(seed);
        params = List.of(param("w1", init(r, hidden * in, in), device, hidden, in),
                param("b1", new float[hidden], device, hidden),
                param("w2", init(r, out * hidden, hidden), device, out, hidden),
                param("b2", new float[out], device, out));
    }

    private static float[] init(Random r, int n, int fanIn) {
        float[] w = new float[n];
        double scale = Math.sqrt(1.0 / fanIn);
        for (int i = 0; i < n; i++) {
            w[i] = (float) (r.nextGaussian() * scale);
        }
        return w;
    }

    private static Parameter param(String name, float[] v, Device device, long... shape) {
        return new Parameter(name, Tensor.fromFloats(v, DType.F32, device, shape));
    }

    /**
     * Computes the mean cross-entropy of a batch and sets every parameter's gradient.
     *
     * @param x      [batch][in] inputs
     * @param labels [batch] class indices
     * @return the loss
     */
    float lossAndGradients(float[][] x, int[] labels) {
        float[] w1 = params.get(0).value().toFloatArray();
        float[] b1 = params.get(1).value().toFloatArray();
        float[] w2 = params.get(2).value().toFloatArray();
        float[] b2 = params.get(3).value().toFloatArray();
        float[] gw1 = new float[w1.length];
        float[] gb1 = new float[b1.length];
        float[] gw2 = new float[w2.length];
        float[] gb2 = new float[b2.length];
        double loss = 0;
        int batch = x.length;
        float[] h = new float[hidden];
        float[] logits = new float[out];
        float[] dh = new float[hidden];
        for (int s = 0; s < batch; s++) {
            for (int j = 0; j < hidden; j++) {
                double a = b1[j];
                for (int i = 0; i < in; i++) {
                    a += w1[j * in + i] * x[s][i];
                }
                h[j] = (float) Math.tanh(a);
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < out; k++) {
                double a = b2[k];
                for (int j = 0; j < hidden; j++) {
                    a += w2[k * hidden + j] * h[j];
                }
                logits[k] = (float) a;
                max = Math.max(max, a);
            }
            double sum = 0;
            for (int k = 0; k < out; k++) {
                sum += Math.exp(logits[k] - max);
            }
            loss += Math.log(sum) + max - logits[labels[s]];
            java.util.Arrays.fill(dh, 0);
            for (int k = 0; k < out; k++) {
                float d = (float) ((Math.exp(logits[k] - max) / sum - (k == labels[s] ? 1 : 0)) / batch);
                gb2[k] += d;
                for (int j = 0; j < hidden; j++) {
                    gw2[k * hidden + j] += d * h[j];
                    dh[j] += d * w2[k * hidden + j];
                }
            }
            for (int j = 0; j < hidden; j++) {
                float d = dh[j] * (1 - h[j] * h[j]);
                gb1[j] += d;
                for (int i = 0; i < in; i++) {
                    gw1[j * in + i] += d * x[s][i];
                }
            }
        }
        float[][] grads = {gw1, gb1, gw2, gb2};
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            p.setGrad(Tensor.fromFloats(grads[i], DType.F32, p.value().device(), p.value().shape()));
        }
        return (float) (loss / batch);
    }

    @Override
    public void close() {
        params.forEach(Parameter::close);
    }
}
