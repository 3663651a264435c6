package io.github.bnb4j.core.internal;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.nativelib.cublas.CublasLt;
import io.github.bnb4j.nativelib.cublas.GemmRoutes;
import io.github.bnb4j.nativelib.cublas.LtGemm;
import io.github.bnb4j.nativelib.cublas.LtType;
import io.github.bnb4j.nativelib.internal.BnbC;
import io.github.bnb4j.nativelib.internal.NativeStatus;
import org.bytedeco.javacpp.Pointer;

/**
 * The dense GEMM ({@code bnb/gemm.h} on the host, cuBLASLt or cuBLAS on CUDA devices): row-major
 * {@code out[m, n] = alpha · op(a)[m, k] · op(b)[k, n] + beta · out (+ bias[n])}, with {@code a} stored
 * [k, m] when {@code ta} and {@code b} stored [n, k] when {@code tb}. The caller has checked shapes, dtypes
 * and devices and holds a use of every tensor. Internal: see the package documentation.
 */
public final class NativeGemm {
    private NativeGemm() {
    }

    /** One GEMM; {@code bias} may be null. */
    public static void gemm(boolean ta, boolean tb, long m, long n, long k, float alpha, float beta, Tensor a,
                            Tensor b, Tensor bias, Tensor out) {
        gemm(ta, tb, m, n, k, alpha, beta, a, b, bias, out, GemmRoutes.FASTEST);
    }

    /** One GEMM limited to {@code routes} on CUDA devices (tests pin a route; the host ignores it). */
    public static void gemm(boolean ta, boolean tb, long m, long n, long k, float alpha, float beta, Tensor a,
                            Tensor b, Tensor bias, Tensor out, GemmRoutes routes) {
        Device d = a.device();
        DType t = a.dtype();
        long lda = ta ? m : k;
        long ldb = tb ? k : n;
        if (d.isCpu()) {
            try (BnbC.bnb_gemm_desc desc = new BnbC.bnb_gemm_desc()) {
                desc.dtype(t.code()).trans_a(ta ? 1 : 0).trans_b(tb ? 1 : 0).M(m).N(n).K(k).lda(lda).ldb(ldb)
                        .ldo(n).alpha(alpha).beta(beta);
                NativeStatus.check(BnbC.bnb_cpu_gemm(desc, a.pointer(), b.pointer(),
                        bias == null ? null : bias.pointer(), out.pointer()), "gemm on " + d);
            }
            return;
        }
        Pointer stream = CudaStream.current(d).pointer();
        long biasAddress = bias == null ? 0 : bias.address();
        // cuBLASLt picks kernels for the pointers' alignment: the largest power of two (<= 256) dividing all
        long align = Long.lowestOneBit(a.address() | b.address() | out.address() | biasAddress | 256);
        LtGemm g = new LtGemm(LtType.valueOf(t.name()), ta, tb, m, n, k, lda, ldb, n, bias != null, (int) align);
        CublasLt.matmul(d.index(), stream, g, routes, alpha, beta, a.address(), b.address(), biasAddress,
                out.address());
    }
}
