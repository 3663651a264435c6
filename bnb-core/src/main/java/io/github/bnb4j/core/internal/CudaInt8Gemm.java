package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.cublas.CublasLt;
import io.github.bnb4j.nativelib.cublas.LtGemm;
import io.github.bnb4j.nativelib.cublas.LtType;
import io.github.bnb4j.nativelib.internal.BnbC;

/**
 * The int8 GEMM {@code out[m, n] = Σ_k a[m, k] · b[n, k]} (int32) on a CUDA device through cuBLASLt. Its int8
 * kernels take the "TN" form, which is exactly row-major {@code a · bᵀ} (cuBLASLt sees {@code outᵀ = b · aᵀ}, so its
 * m is our n), and need K, that m, the leading dimensions (K, K, n) to be multiples of 4 and the pointers 4-byte
 * aligned. Other shapes never fail: they run on zero-padded copies ({@link Route}), which give the same int32
 * sums because the padding is zero. Padding is for odd shapes (real layers have K and N multiples of 4), so it
 * allocates per call.
 */
final class CudaInt8Gemm {
    /** The multiple cuBLASLt's int8 kernels need of K, N, the leading dimensions and the pointer alignment. */
    static final int MULTIPLE = 4;

    private CudaInt8Gemm() {
    }

    /**
     * How one product runs: directly on the caller's tensors, or on copies padded with zeros to
     * [m, paddedK] · [paddedN, paddedK]ᵀ → [m, paddedN], the first n columns of which are then copied out.
     */
    record Route(boolean direct, long paddedK, long paddedN) {
        static Route of(long n, long k, long addressA, long addressB, long addressOut) {
            boolean aligned = ((addressA | addressB | addressOut) & (MULTIPLE - 1)) == 0;
            if (aligned && k % MULTIPLE == 0 && n % MULTIPLE == 0) {
                return new Route(true, k, n);
            }
            return new Route(false, roundUp(k), roundUp(n));
        }

        private static long roundUp(long x) {
            return (x + MULTIPLE - 1) / MULTIPLE * MULTIPLE;
        }
    }

    /** Runs the product on {@code stream}; the caller holds uses of a, b and out, and m, n, k &gt;= 1. */
    static void run(Tensor a, Tensor b, Tensor out, long m, long n, long k, CudaStream stream) {
        Route route = Route.of(n, k, a.address(), b.address(), out.address());
        if (route.direct()) {
            lt(stream, a.address(), b.address(), out.address(), m, n, k);
            return;
        }
        Device d = a.device();
        long k4 = route.paddedK();
        long n4 = route.paddedN();
        int device = d.index();
        try (Tensor aPad = Tensor.zeros(DType.I8, d, m, k4);
             Tensor bPad = Tensor.zeros(DType.I8, d, n4, k4);
             Tensor product = Tensor.empty(DType.I32, d, m, n4);
             Tensor columns = Tensor.fromLongs(firstIndices(n), d, n)) {
            CublasLt.copyInt8Rows(device, stream.pointer(), m, k, a.address(), k, aPad.address(), k4);
            CublasLt.copyInt8Rows(device, stream.pointer(), n, k, b.address(), k, bPad.address(), k4);
            lt(stream, aPad.address(), bPad.address(), product.address(), m, n4, k4);
            // the first n of the n4 columns: a gather copies elements without arithmetic, so the int32 sums travel
            // through it as f32 bit patterns unchanged
            NativeInt8.gatherColumns(BnbC.BNB_F32, product, m, n4, columns, n, out);
        }
    }

    private static void lt(CudaStream stream, long a, long b, long out, long m, long n, long k) {
        int alignment = (int) Long.lowestOneBit(a | b | out | 256);
        LtGemm g = new LtGemm(LtType.I8_I32, false, true, m, n, k, k, k, n, false, alignment);
        CublasLt.matmul(stream.device().index(), stream.pointer(), g, 1f, 0f, a, b, 0, out);
    }

    private static long[] firstIndices(long n) {
        long[] indices = new long[Math.toIntExact(n)];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = i;
        }
        return indices;
    }
}
