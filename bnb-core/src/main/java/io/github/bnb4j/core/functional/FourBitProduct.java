package io.github.bnb4j.core.functional;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.MatrixOperand;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorUse;
import io.github.bnb4j.core.functional.FourBitArgs.WeightShape;
import io.github.bnb4j.core.internal.NativeFourBit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The products of {@link FourBit} with a 4-bit weight W [N, K]: {@code a · Wᵀ (+ bias)} and its gradient with
 * respect to {@code a}, {@code gradOut · W}. Small batches run the fused GEMV, which reads the packed weight once
 * and never materialises W; larger ones dequantize W into a temporary of the compute dtype and run the dense
 * {@link Gemm}.
 */
final class FourBitProduct {
    /**
     * Rows (the product of a's leading dimensions) up to which {@link FourBit#matmul4bit} uses the fused GEMV; more
     * go through dequantize + GEMM. At most {@link NativeFourBit#GEMV_MAX_ROWS}. Measured on the H200 (2026-12-03,
     * session 5, f16 NF4, tensor-core GEMV): at 16 rows the fused kernel takes 35.5 / 84.7 / 289 µs through
     * dequantize + GEMM (4096x4096 / 14336x4096 / 8192x28672) and 106 µs fused for 28672x8192 where batch 1 takes
     * 80 µs (bnb_fourbit_cuda_bench), so every fused size the kernel takes is faster.
     */
    static final int FUSED_GEMV_MAX_ROWS = 16;

    private static final Logger LOG = LoggerFactory.getLogger(FourBit.class);
    private static final AtomicBoolean F32_COMPUTE_LOGGED = new AtomicBoolean();

    private FourBitProduct() {
    }

    /** Checked arguments of a forward product: the state, the weight's sizes and the rows of a. */
    private record Forward(FourBitState state, WeightShape weight, long rows) {
    }

    /** {@code a · Wᵀ (+ bias)} into a new tensor [..., N]; {@code bias} may be null. */
    static Tensor forward(Tensor a, Tensor packed, QuantState state, Tensor bias) {
        Forward f = check(a, packed, state, bias);
        Tensor out = Tensor.empty(a.dtype(), a.device(), FourBitArgs.withLast(a.shape(), f.weight().n()));
        try {
            run(f, a, packed, bias, out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** {@code a · Wᵀ (+ bias)} into {@code out}; {@code bias} may be null. */
    static void forwardInto(Tensor a, Tensor packed, QuantState state, Tensor bias, Tensor out) {
        Forward f = check(a, packed, state, bias);
        FourBitArgs.requireOutput(out, FourBitArgs.withLast(a.shape(), f.weight().n()), a.dtype(), a.device());
        run(f, a, packed, bias, out);
    }

    /** {@code gradOut · W} into a new tensor [..., K]. */
    static Tensor backward(Tensor gradOut, Tensor packed, QuantState state) {
        Objects.requireNonNull(gradOut, "gradOut");
        FourBitArgs.requireFloat(gradOut, "matmul4bitBackward");
        FourBitState s = FourBitArgs.requirePacked(packed, state);
        WeightShape w = FourBitArgs.weightShape(s);
        long rows = FourBitArgs.rows(gradOut, w.n(), "gradOut", "N");
        FourBitArgs.requireDevice(gradOut, s.device(), "gradOut");
        Tensor gradIn = Tensor.empty(gradOut.dtype(), gradOut.device(), FourBitArgs.withLast(gradOut.shape(), w.k()));
        try {
            if (rows > 0) {
                logF32Compute(gradOut.dtype(), s, w);
                try (Tensor weight = FourBit.dequantizeAs(packed, s, gradOut.dtype(), w.n(), w.k());
                        Tensor g = gradOut.reshape(rows, w.n());
                        Tensor in = gradIn.reshape(rows, w.k())) {
                    Gemm.gemmInto(MatrixOperand.of(g), MatrixOperand.of(weight), 1f, 0f, in);
                }
            }
            return gradIn;
        } catch (RuntimeException e) {
            gradIn.close();
            throw e;
        }
    }

    private static Forward check(Tensor a, Tensor packed, QuantState state, Tensor bias) {
        Objects.requireNonNull(a, "a");
        FourBitArgs.requireFloat(a, "matmul4bit");
        FourBitState s = FourBitArgs.requirePacked(packed, state);
        WeightShape w = FourBitArgs.weightShape(s);
        long rows = FourBitArgs.rows(a, w.k(), "a", "K");
        FourBitArgs.requireDevice(a, s.device(), "a");
        if (bias != null) {
            FourBitArgs.requireBias(bias, w.n(), a.dtype(), s.device());
        }
        return new Forward(s, w, rows);
    }

    private static void run(Forward f, Tensor a, Tensor packed, Tensor bias, Tensor out) {
        long m = f.rows();
        if (m == 0) {
            return;
        }
        FourBitState s = f.state();
        WeightShape w = f.weight();
        logF32Compute(a.dtype(), s, w);
        if (m <= FUSED_GEMV_MAX_ROWS) {
            try (KernelScales scales = KernelScales.of(s);
                    TensorUse use = TensorUse.of(FourBitArgs.join(scales.tensors(), a, packed, bias, out))) {
                NativeFourBit.gemv(FourBitArgs.table(s.quantType()), a, packed, scales.scales(), bias, out, m, w.n(),
                        w.k(), s.blocksize().value());
            }
            return;
        }
        try (Tensor weight = FourBit.dequantizeAs(packed, s, a.dtype(), w.n(), w.k());
                Tensor a2 = a.reshape(m, w.k());
                Tensor out2 = out.reshape(m, w.n())) {
            MatrixOperand x = MatrixOperand.of(a2);
            MatrixOperand wt = MatrixOperand.transposed(weight);
            if (bias == null) {
                Gemm.gemmInto(x, wt, 1f, 0f, out2);
            } else {
                Gemm.gemmInto(x, wt, 1f, 0f, bias, out2);
            }
        }
    }

    /**
     * Upstream computes silently in F32 when the input is F32, whatever the weight was quantized from (its issue
     * #1177); here the input's dtype is the compute dtype too, so say once what that costs for a 16-bit weight.
     */
    private static void logF32Compute(DType compute, FourBitState s, WeightShape w) {
        if (compute != DType.F32 || s.dtype() == DType.F32 || !F32_COMPUTE_LOGGED.compareAndSet(false, true)) {
            return;
        }
        LOG.info("bnb4j: 4-bit matmul computes in F32 because its input is F32, while the weight [{}, {}] was"
                + " quantized from {}. Cost: the activations and outputs take twice the bytes, and batches above {}"
                + " rows dequantize the weight to a temporary F32 matrix ({} MiB instead of {} MiB) and multiply in F32"
                + " instead of on {} tensor cores, several times slower (upstream bitsandbytes issue #1177)."
                + " Convert the input to {} to compute in the weight's dtype. (Logged once.)", w.n(), w.k(), s.dtype(),
                FUSED_GEMV_MAX_ROWS, mib(w, 4), mib(w, 2), s.dtype(), s.dtype());
    }

    private static long mib(WeightShape w, int bytesPerValue) {
        return (w.n() * w.k() * bytesPerValue + (1 << 20) - 1) >> 20;
    }
}
