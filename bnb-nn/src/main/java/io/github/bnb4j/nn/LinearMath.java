package io.github.bnb4j.nn;

import java.util.Arrays;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Gemm;
import io.github.bnb4j.core.functional.nn.Accumulation;
import io.github.bnb4j.core.functional.nn.Elementwise;

/**
 * The checks and gradient products the linear layers share. Activations [..., F] are taken as matrices [M, F],
 * M the product of the leading dimensions; every product is a {@link Gemm} on the current stream, accumulating into
 * gradients with {@code beta = 1}.
 */
final class LinearMath {
    private LinearMath() {
    }

    /**
     * Checks an activation against a layer: F32, F16 or BF16 {@code [..., features]} of {@code dtype} (any float
     * dtype when null) on {@code device}. Reads a few fields only; the message is built on failure
     * only.
     *
     * @return its rows M
     * @throws IllegalArgumentException naming the module, the argument and the value
     */
    static long rows(Module module, String name, Tensor x, DType dtype, Device device, long features) {
        int rank = x.rank();
        DType t = x.dtype();
        if (rank < 1 || x.size(rank - 1) != features || (dtype != null ? t != dtype : !isFloat(t))
                || !x.device().equals(device)) {
            String want = dtype == null ? "F32, F16 or BF16" : dtype.toString();
            throw new IllegalArgumentException(module.describe() + ": " + name + " must be " + want + " [..., "
                    + features + "] on " + device + ", got " + x);
        }
        return x.numel() / features;
    }

    /**
     * Checks a gradient against the output of the saved input: its leading dimensions, {@code outFeatures} last,
     * the input's dtype and device.
     *
     * @return its rows M
     */
    static long gradRows(Module module, Tensor grad, Tensor input, long outFeatures) {
        long[] want = input.shape();
        want[want.length - 1] = outFeatures;
        if (!Arrays.equals(grad.shape(), want) || grad.dtype() != input.dtype()
                || !grad.device().equals(input.device())) {
            throw new IllegalArgumentException(module.describe() + ": gradOutput must be " + input.dtype() + " "
                    + Arrays.toString(want) + " on " + input.device() + " like the output, got " + grad);
        }
        return grad.numel() / Math.max(1, outFeatures);
    }

    /** F32, F16 or BF16: the dtypes of activations, dense weights and biases. */
    static boolean isFloat(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16;
    }

    /**
     * @return {@code dtype}
     * @throws IllegalArgumentException unless it is F32, F16 or BF16
     */
    static DType requireFloat(DType dtype, String name) {
        if (!isFloat(java.util.Objects.requireNonNull(dtype, name))) {
            throw new IllegalArgumentException(name + " must be F32, F16 or BF16, got " + dtype);
        }
        return dtype;
    }

    /**
     * @return {@code value}
     * @throws IllegalArgumentException unless it is at least 1
     */
    static long requireFeatures(long value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
        return value;
    }

    /** {@code x} as a matrix [rows, cols] (a view unless it already is one). */
    static Tensor matrix(Tensor x, long rows, long cols) {
        return x.rank() == 2 ? x : x.reshape(rows, cols);
    }

    /** A new tensor of {@code shape} with its last dimension replaced. */
    static long[] withLast(long[] shape, long last) {
        long[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** {@code gradIn [..., K] = gradOut [M, N] · W [N, K]}, shaped like the input. */
    static Tensor inputGrad(Tensor grad2d, Tensor weight, long[] inputShape) {
        Tensor out = Tensor.empty(grad2d.dtype(), grad2d.device(), inputShape);
        try {
            long m = grad2d.size(0);
            if (m > 0) {
                Gemm.gemmInto(MatrixOperand.of(grad2d), MatrixOperand.of(weight), 1f, 0f,
                        matrix(out, m, weight.size(1)));
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** {@code grad(W) [N, K] += alpha · gradOutᵀ [N, M] · x [M, K]}; nothing for M = 0 or a frozen weight. */
    static void accumulateWeight(ParameterSlot weight, Tensor grad2d, Tensor x2d, float alpha) {
        if (weight.requiresGrad() && grad2d.size(0) > 0) {
            Gemm.gemmInto(MatrixOperand.transposed(grad2d), MatrixOperand.of(x2d), alpha, 1f,
                    weight.gradForAccumulation());
        }
    }

    /**
     * {@code grad(bias) [N] += Σ_rows gradOut [M, N]} (a column sum in f32, one rounding, deterministic); nothing
     * without a bias, for M = 0 or when frozen. gradOut has the bias's dtype.
     */
    static void accumulateBias(ParameterSlot bias, Tensor grad2d) {
        if (bias == null || !bias.requiresGrad() || grad2d.size(0) == 0) {
            return;
        }
        Elementwise.sumRowsInto(grad2d, bias.gradForAccumulation(), Accumulation.ADD);
    }
}
