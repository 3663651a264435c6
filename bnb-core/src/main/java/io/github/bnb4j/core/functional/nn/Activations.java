package io.github.bnb4j.core.functional.nn;

import static io.github.bnb4j.core.functional.nn.NnChecks.requireFloat;
import static io.github.bnb4j.core.functional.nn.NnChecks.requireLike;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.NativeNnOps;

/**
 * Activations ({@link Activation}) forward and backward, and SwiGLU ({@code silu(gate) · up}, Llama's MLP). Inputs
 * are F32, F16 or BF16 of any shape; arithmetic is f32 and each output element is rounded once to the input's
 * dtype. Ops run on the inputs' device (CUDA: the current stream, no host sync) and never modify their inputs.
 * Every argument is checked before a kernel runs; an op that throws has written nothing.
 */
public final class Activations {
    private Activations() {
    }

    /**
     * {@code y = f(x)} elementwise.
     *
     * @param activation which f
     * @param x          F32, F16 or BF16, any shape
     * @return a new tensor of x's dtype, shape and device
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if x is closed
     */
    public static Tensor forward(Activation activation, Tensor x) {
        Objects.requireNonNull(activation, "activation");
        requireFloat(x, "x", "activation " + activation);
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, y)) {
            NativeNnOps.activation(activation.code, x, y);
            return y;
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
    }

    /**
     * {@code gradX = gradY · f'(x)} elementwise, from the forward's input x.
     *
     * @param x     the forward's input: F32, F16 or BF16
     * @param gradY the gradient of the forward's output: x's dtype, shape and device
     * @return a new tensor of x's dtype and shape
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if x's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if gradY's dtype, shape or device differ from x's
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor backward(Activation activation, Tensor x, Tensor gradY) {
        Objects.requireNonNull(activation, "activation");
        requireFloat(x, "x", "activation " + activation + " backward");
        requireLike(gradY, x, "gradY", "x");
        Tensor gradX = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (TensorUse use = TensorUse.of(x, gradY, gradX)) {
            NativeNnOps.activationBackward(activation.code, x, gradY, gradX);
            return gradX;
        } catch (RuntimeException e) {
            gradX.close();
            throw e;
        }
    }

    /**
     * SwiGLU: {@code out = silu(gate) · up = gate · σ(gate) · up} elementwise.
     *
     * @param gate F32, F16 or BF16, any shape
     * @param up   gate's dtype, shape and device
     * @return a new tensor of gate's dtype and shape
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if gate's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if up's dtype, shape or device differ from gate's
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        requireFloat(gate, "gate", "swiglu");
        requireLike(up, gate, "up", "gate");
        Tensor out = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
        try (TensorUse use = TensorUse.of(gate, up, out)) {
            NativeNnOps.swiglu(gate, up, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * The gradients of SwiGLU: {@code gradGate = gradOut · up · silu'(gate)}, {@code gradUp = gradOut · silu(gate)}.
     *
     * @param gate    the forward's gate: F32, F16 or BF16
     * @param up      the forward's up: gate's dtype, shape and device
     * @param gradOut the gradient of the forward's output: gate's dtype, shape and device
     * @return both gradients, new tensors the caller closes
     * @throws NullPointerException          if an argument is null
     * @throws UnsupportedOperationException if gate's dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if up's or gradOut's dtype, shape or device differ from gate's
     * @throws IllegalStateException         if a tensor is closed
     */
    public static SwigluGradients swigluBackward(Tensor gate, Tensor up, Tensor gradOut) {
        requireFloat(gate, "gate", "swiglu backward");
        requireLike(up, gate, "up", "gate");
        requireLike(gradOut, gate, "gradOut", "gate");
        Tensor gradGate = null;
        Tensor gradUp = null;
        try {
            gradGate = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
            gradUp = Tensor.empty(gate.dtype(), gate.device(), gate.shape());
            try (TensorUse use = TensorUse.of(gate, up, gradOut, gradGate, gradUp)) {
                NativeNnOps.swigluBackward(gate, up, gradOut, gradGate, gradUp);
            }
            return new SwigluGradients(gradGate, gradUp);
        } catch (RuntimeException e) {
            NnChecks.closeAll(gradGate, gradUp);
            throw e;
        }
    }
}
