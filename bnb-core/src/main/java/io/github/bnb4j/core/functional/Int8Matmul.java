package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.internal.Int8Route;
import io.github.bnb4j.core.internal.NativeInt8;

/**
 * LLM.int8() matrix multiplication (upstream {@code bnb.matmul} / {@code MatMul8bitLt}, spec 3.12): the
 * {@code nn.Linear} product {@code out = A · Wᵀ + bias} with the weight W [N, K] held in int8
 * ({@link MatmulLtState}). Forward, for A [..., K] flattened to M rows:
 * <pre>
 *   CA, SCA, cols = vectorwiseQuant(A, threshold)                  (outlier columns zeroed in CA)
 *   out = mmDequant(CA · CBᵀ, SCA, SCB, bias)                      (int8 GEMM, int32 sums)
 *       + A[:, cols] · (CB[:, cols] · SCB / 127)ᵀ                  (16-bit GEMM, when threshold &gt; 0)
 * </pre>
 * The second product is added into the first in f32 and rounded once. Threshold 0 is the plain int8 product.
 * Backward: {@link #inputGradient} ({@code gradOut · dequant(W)}, always) and, for {@link MatmulLtState.Fp16Weights},
 * {@link #weightGradient} ({@code gradOutᵀ · A} in the weight's dtype), as upstream's {@code MatMul8bitLt}
 * (spec 3.12 and docs/DECISIONS.md, "LLM.int8() in Java").
 *
 * <p>A, bias and out share one dtype (F32, F16 or BF16; upstream casts to F16) and every tensor one device.
 * Arguments are checked before any kernel runs: an exception leaves {@code out} unchanged.
 *
 * <p>On a CUDA device, up to 32 rows (decode) run two fused kernels that read the int8 weight once and never
 * synchronize with the host; the output has the same bits as the general route up to the order in which the
 * outlier columns' 16-bit products are summed in f32 (docs/DECISIONS.md, "int8-decode"). More rows run the
 * separate steps above, and with a threshold the host reads the number of outlier columns (one device
 * synchronization per product).
 */
public final class Int8Matmul {
    private Int8Matmul() {
    }

    /**
     * {@code A · Wᵀ}.
     *
     * @param a     F32, F16 or BF16 [..., K]
     * @param state the int8 weight [N, K] (on a's device) and the threshold
     * @return a new [..., N] tensor of a's dtype
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if a is a scalar, its last dimension is not the weight's K, or the
     *                                       devices differ
     * @throws UnsupportedOperationException if a's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor matmul(Tensor a, MatmulLtState state) {
        return allocating(a, state, null);
    }

    /**
     * {@code A · Wᵀ + bias}, the bias fused into the int8 product's dequantization.
     *
     * @param bias [N], a's dtype and device
     * @throws IllegalArgumentException as {@link #matmul(Tensor, MatmulLtState)}, or if bias is not [N] of a's
     *                                  dtype on a's device
     */
    public static Tensor matmul(Tensor a, MatmulLtState state, Tensor bias) {
        return allocating(a, state, Objects.requireNonNull(bias, "bias"));
    }

    /**
     * {@link #matmul(Tensor, MatmulLtState)} into a caller-owned tensor, with scratch from {@code workspace}:
     * allocates nothing once the workspace has grown to the shape.
     *
     * @param out [..., N] (a's leading dimensions), a's dtype and device; overwritten
     * @throws IllegalArgumentException as {@link #matmul(Tensor, MatmulLtState)}, or if out does not fit or the
     *                                  workspace serves another device; out is then unchanged
     * @throws IllegalStateException    if a tensor or the workspace is closed
     */
    public static void matmulInto(Tensor a, MatmulLtState state, Tensor out, Int8Workspace workspace) {
        forward(a, state, null, out, workspace);
    }

    /**
     * {@link #matmul(Tensor, MatmulLtState, Tensor)} into a caller-owned tensor; see
     * {@link #matmulInto(Tensor, MatmulLtState, Tensor, Int8Workspace)}.
     */
    public static void matmulInto(Tensor a, MatmulLtState state, Tensor bias, Tensor out, Int8Workspace workspace) {
        forward(a, state, Objects.requireNonNull(bias, "bias"), out, workspace);
    }

    /**
     * The gradient to the input, {@code gradOut · (CB · SCB / 127)} (upstream: {@code grad_out @ dequant(W)};
     * "State must contain CB matrix for backward" cannot happen: every state holds its int8 weight).
     *
     * @param gradOut F32, F16 or BF16 [..., N], on the weight's device
     * @return a new [..., K] tensor of gradOut's dtype
     * @throws NullPointerException          if an argument is null
     * @throws IllegalArgumentException      if gradOut is a scalar, its last dimension is not N, or the devices
     *                                       differ
     * @throws UnsupportedOperationException if gradOut's dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if a tensor is closed
     */
    public static Tensor inputGradient(Tensor gradOut, MatmulLtState state) {
        Objects.requireNonNull(state, "state");
        Int8Weight w = state.weight();
        long m = requireGradOut(gradOut, w);
        long[] shape = gradOut.shape();
        shape[shape.length - 1] = w.inFeatures();
        Tensor grad = Tensor.zeros(gradOut.dtype(), gradOut.device(), shape);
        try {
            if (m > 0 && w.outFeatures() > 0 && w.inFeatures() > 0) {
                try (Tensor dequantized = w.dequantize(gradOut.dtype())) {
                    Gemm.gemmInto(MatrixOperand.of(gradOut.reshape(m, w.outFeatures())),
                            MatrixOperand.of(dequantized), 1f, 0f, grad.reshape(m, w.inFeatures()));
                }
            }
            return grad;
        } catch (RuntimeException e) {
            grad.close();
            throw e;
        }
    }

    /**
     * The gradient to the 16-bit weight, {@code gradOutᵀ · A} summed over the leading dimensions, in the weight's
     * dtype (upstream {@code MatMul8bitFp}'s; {@code MatMul8bitLt}'s int8 form pairs row-quantized gradients with
     * column statistics, spec 3.12, so it is not reproduced).
     *
     * @param gradOut [..., N] of the weight's dtype
     * @param input   the forward's A, [..., K] with gradOut's leading dimensions, of the weight's dtype
     * @return a new [N, K] tensor
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the shapes do not chain, a dtype is not the weight's, or the devices
     *                                  differ
     * @throws IllegalStateException    if a tensor is closed
     */
    public static Tensor weightGradient(Tensor gradOut, Tensor input, MatmulLtState.Fp16Weights state) {
        Objects.requireNonNull(state, "state");
        Int8Weight w = state.weight();
        long m = requireGradOut(gradOut, w);
        requireActivation(input, w, "input");
        DType t = state.weight16().dtype();
        if (gradOut.dtype() != t || input.dtype() != t) {
            throw new IllegalArgumentException("gradOut and input must be " + t + " like the 16-bit weight, got "
                    + gradOut + " and " + input);
        }
        long[] lead = Arrays.copyOf(gradOut.shape(), gradOut.rank() - 1);
        if (!Arrays.equals(lead, Arrays.copyOf(input.shape(), input.rank() - 1))) {
            throw new IllegalArgumentException("gradOut " + gradOut + " and input " + input
                    + " must share their leading dimensions");
        }
        Tensor grad = Tensor.zeros(t, w.device(), w.outFeatures(), w.inFeatures());
        try {
            if (m > 0 && w.outFeatures() > 0 && w.inFeatures() > 0) {
                Gemm.gemmInto(MatrixOperand.transposed(gradOut.reshape(m, w.outFeatures())),
                        MatrixOperand.of(input.reshape(m, w.inFeatures())), 1f, 0f, grad);
            }
            return grad;
        } catch (RuntimeException e) {
            grad.close();
            throw e;
        }
    }

    /**
     * The gradient to the bias, {@code gradOut} summed over its leading dimensions (in f32, rounded once).
     *
     * @param gradOut F32, F16 or BF16 [..., N]
     * @return a new [N] tensor of gradOut's dtype
     * @throws NullPointerException          if {@code gradOut} is null
     * @throws IllegalArgumentException      if gradOut is a scalar
     * @throws UnsupportedOperationException if its dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if it is closed
     */
    public static Tensor biasGradient(Tensor gradOut) {
        long n = Int8Checks.lastDimension(gradOut, "gradOut");
        Int8Checks.requireFloat(gradOut, "gradOut", "int8 biasGradient");
        long m = Int8Checks.rows(gradOut);
        Tensor grad = Tensor.zeros(gradOut.dtype(), gradOut.device(), n);
        if (m == 0 || n == 0) {
            return grad;
        }
        float[] ones = new float[Math.toIntExact(m)];
        Arrays.fill(ones, 1f);
        try (Tensor row = Tensor.fromFloats(ones, gradOut.dtype(), gradOut.device(), 1, m)) {
            Gemm.gemmInto(MatrixOperand.of(row), MatrixOperand.of(gradOut.reshape(m, n)), 1f, 0f,
                    grad.reshape(1, n));
            return grad;
        } catch (RuntimeException e) {
            grad.close();
            throw e;
        }
    }

    private static Tensor allocating(Tensor a, MatmulLtState state, Tensor bias) {
        Objects.requireNonNull(state, "state");
        requireActivation(a, state.weight(), "a");
        long[] shape = a.shape();
        shape[shape.length - 1] = state.weight().outFeatures();
        Tensor out = Tensor.empty(a.dtype(), a.device(), shape);
        try (Int8Workspace workspace = new Int8Workspace(a.device())) {
            forward(a, state, bias, out, workspace);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private static void forward(Tensor a, MatmulLtState state, Tensor bias, Tensor out, Int8Workspace workspace) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(workspace, "workspace");
        Int8Weight w = state.weight();
        long m = requireActivation(a, w, "a");
        long k = w.inFeatures();
        long n = w.outFeatures();
        Device d = a.device();
        if (bias != null) {
            Int8Checks.requireVector(bias, a.dtype(), n, d, "bias");
        }
        long[] outShape = a.shape();
        outShape[outShape.length - 1] = n;
        Int8Checks.requireShape(out, a.dtype(), outShape, d, "out");
        if (!workspace.device().equals(d)) {
            throw new IllegalArgumentException("workspace serves " + workspace.device() + ", but a is on " + d);
        }
        try (TensorUse use = TensorUse.of(a, w.cb(), w.scb(), bias, out)) {
            if (m == 0 || n == 0) {
                return;
            }
            new Int8Forward(a.reshape(m, k), w, state.threshold(), bias, out.reshape(m, n), workspace).run();
        }
    }

    /** Checks an activation [..., K] against the weight; returns its rows M. */
    private static long requireActivation(Tensor a, Int8Weight w, String name) {
        long k = Int8Checks.lastDimension(a, name);
        Int8Checks.requireFloat(a, name, "int8 matmul");
        if (k != w.inFeatures()) {
            throw new IllegalArgumentException(name + "'s last dimension (" + k + ") must equal the weight's K ("
                    + w.inFeatures() + "): " + name + " is " + a + ", the weight " + w.cb());
        }
        Int8Checks.requireDevice(a, w.device(), name);
        return Int8Checks.rows(a);
    }

    /** Checks a gradient [..., N] against the weight; returns its rows M. */
    private static long requireGradOut(Tensor gradOut, Int8Weight w) {
        long n = Int8Checks.lastDimension(gradOut, "gradOut");
        Int8Checks.requireFloat(gradOut, "gradOut", "int8 matmul backward");
        if (n != w.outFeatures()) {
            throw new IllegalArgumentException("gradOut's last dimension (" + n + ") must equal the weight's N ("
                    + w.outFeatures() + "), got " + gradOut);
        }
        Int8Checks.requireDevice(gradOut, w.device(), "gradOut");
        return Int8Checks.rows(gradOut);
    }

    /**
     * Where the fused product is taken (H200, 2026-12-03, Int8Benchmark fused/unfused lines, f16, K 4096, N 4096 and
     * 14336): up to 16 rows at threshold 0, where it is bit-identical to the unfused path and 0.4-0.8x its time
     * (at 32 rows the unfused path wins: 0.027 against 0.037 ms for 32 x 4096 x 14336). With a threshold the
     * fused kernel was faster (0.025 against 0.092 ms at one row) but disagreed with the unfused path on inputs
     * without outliers after a call with many (Int8MatmulRouteCudaTest, session 5): until that is understood,
     * products with a threshold keep the unfused path, whose results the reference vectors check.
     */
    private static boolean fusedIsFaster(long m, float threshold) {
        return m <= 16 && threshold == 0;
    }

    /** One checked forward product on 2-D views; the caller holds uses of every tensor. */
    private record Int8Forward(Tensor a, Int8Weight w, float threshold, Tensor bias, Tensor out,
                               Int8Workspace ws) {
        void run() {
            long m = a.size(0);
            long k = a.size(1);
            long n = out.size(1);
            if (a.device().isCuda() && Int8Route.current() == Int8Route.FUSED && fusedIsFaster(m, threshold)) {
                NativeInt8.fusedMatmul(a, w.cb(), w.scb(), bias, m, n, k, threshold, ws.codes(m, k), ws.rowStats(m),
                        threshold > 0 ? ws.fusedOutlierState(k) : null, out);
                return;
            }
            Tensor codes = ws.codes(m, k);
            Tensor rowStats = ws.rowStats(m);
            Tensor columns = threshold > 0 ? ws.outlierColumns(k) : null;
            Tensor count = threshold > 0 ? ws.outlierCount() : null;
            NativeInt8.vectorwiseQuant(a, m, k, threshold, codes, rowStats, columns, count);
            Tensor product = ws.product(m, n);
            Int8.runGemm(codes, w.cb(), product);
            NativeInt8.mmDequant(product, rowStats, w.scb(), bias, out, m, n);
            if (threshold > 0) {
                addOutlierProduct(columns, count.toLongArray()[0]);
            }
        }

        /** out += A[:, columns] · dequant(CB[:, columns])ᵀ, the 16-bit part of the decomposition. */
        private void addOutlierProduct(Tensor columns, long found) {
            if (found == 0) {
                return;
            }
            long m = a.size(0);
            long k = a.size(1);
            long n = out.size(1);
            Tensor indices = columns.narrow(0, found);
            Tensor subA = ws.inputColumns(a.dtype(), m, found);
            NativeInt8.gatherColumns(a, m, k, indices, found, subA);
            Tensor subW = ws.weightColumns(a.dtype(), n, found);
            NativeInt8.dequantColumns(w.cb(), w.scb(), n, k, indices, found, subW);
            Gemm.gemmInto(MatrixOperand.of(subA), MatrixOperand.transposed(subW), 1f, 1f, out);
        }
    }
}
