package io.github.bnb4j.nativelib.cublas;

import java.util.Optional;

import io.github.bnb4j.nativelib.BnbException;
import io.github.bnb4j.nativelib.Status;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * Dense GEMM on CUDA devices through cuBLASLt, or cuBLAS's {@code cublasGemmEx} where that is faster
 * ({@link GemmRoutes}), from the JavaCPP CUDA presets ({@code org.bytedeco:cuda}), run on the caller's stream.
 * Internal: {@code io.github.bnb4j.core.functional.Gemm} is the public entry point and validates shapes, dtypes
 * and devices before calling here.
 *
 * <p>cuBLASLt is loaded at the first call. A host without it (no CUDA 13 {@code libcublasLt.so.13} on the
 * library path) gets one {@link BnbException} with status {@code NO_BACKEND} that says what to install; the
 * CPU backend never needs it.
 *
 * <p>Thread-safe: each thread keeps its own handle, workspace and plans per device ({@link LtContext}),
 * because a cuBLASLt handle bound to one thread needs no locking and plans are cheap to make twice.
 */
public final class CublasLt {
    private static final String INSTALL_HINT = "install the CUDA 13 toolkit's cuBLAS (libcublas.so.13 and "
            + "libcublasLt.so.13, e.g. LD_LIBRARY_PATH=/usr/local/cuda/lib64) or add "
            + "org.bytedeco:cuda-redist:13.3-9.25-1.5.14:linux-x86_64 to the class path";
    private static final ThreadLocal<LtContext[]> CONTEXTS = ThreadLocal.withInitial(() -> new LtContext[0]);
    private static final ThreadLocal<GemmRoute> LAST_ROUTE = new ThreadLocal<>();
    private static volatile Throwable loadFailure;
    private static volatile boolean loaded;

    private CublasLt() {
    }

    /**
     * Makes sure cuBLASLt is loaded.
     *
     * @param operation what needs it, for the message
     * @throws BnbException with status NO_BACKEND naming what to install when it cannot be loaded
     */
    public static void require(String operation) {
        if (!loaded) {
            load();
        }
        Throwable failure = loadFailure;
        if (failure != null) {
            throw new BnbException(Status.NO_BACKEND, operation,
                    "cuBLAS/cuBLASLt could not be loaded (" + failure + "); " + INSTALL_HINT);
        }
    }

    private static synchronized void load() {
        if (loaded || loadFailure != null) {
            return;
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
            loaded = true;
        } catch (Throwable t) { // UnsatisfiedLinkError or NoClassDefFoundError: the libraries are missing
            loadFailure = t;
        }
    }

    /**
     * Runs one GEMM on {@code stream}, by whichever route was fastest for its shape. Addresses are device
     * addresses on {@code device}; {@code bias} is 0 unless {@code gemm.bias()}. For {@link LtType#I8_I32} alpha
     * and beta are taken as integers.
     *
     * @throws BnbException           if cuBLAS or cuBLASLt is missing or a call fails
     * @throws UnsupportedOperationException if cuBLASLt has no algorithm for the shape and alignment
     */
    public static void matmul(int device, Pointer stream, LtGemm gemm, float alpha, float beta, long a, long b,
                              long bias, long out) {
        matmul(device, stream, gemm, GemmRoutes.FASTEST, alpha, beta, a, b, bias, out);
    }

    /**
     * {@link #matmul(int, Pointer, LtGemm, float, float, long, long, long, long)} limited to {@code routes}: the
     * plan times the routes' candidates on its first call with beta = 0 and keeps the fastest (tests and
     * benchmarks pin one route).
     *
     * @return the route that ran this call
     * @throws BnbException                  if cuBLAS or cuBLASLt is missing or a call fails
     * @throws IllegalArgumentException      if {@code routes} cannot run {@code gemm} (see {@link GemmRoutes})
     * @throws UnsupportedOperationException if no allowed route has an algorithm for the shape and alignment
     */
    public static GemmRoute matmul(int device, Pointer stream, LtGemm gemm, GemmRoutes routes, float alpha,
                                   float beta, long a, long b, long bias, long out) {
        require("GEMM on cuda:" + device);
        GemmRoute route = context(device).matmul(stream, gemm, routes, alpha, beta, a, b, bias, out);
        LAST_ROUTE.set(route);
        return route;
    }

    /** The route of the calling thread's last GEMM, for benchmarks and tests; empty before its first. */
    public static Optional<GemmRoute> lastRoute() {
        return Optional.ofNullable(LAST_ROUTE.get());
    }

    /**
     * Copies the row-major int8 matrix {@code src} [rows, cols] with row stride {@code srcStride} into
     * {@code dst} with row stride {@code dstStride} ({@code >= cols}) on {@code stream}; the bytes of each dst
     * row beyond {@code cols} are left as they are. One {@code cublasLtMatrixTransform}: how the int8 GEMM pads
     * an operand whose K cuBLASLt refuses.
     *
     * @throws BnbException if cuBLASLt is missing or the call fails
     */
    public static void copyInt8Rows(int device, Pointer stream, long rows, long cols, long src, long srcStride,
                                    long dst, long dstStride) {
        require("int8 copy on cuda:" + device);
        context(device).copyInt8Rows(stream, rows, cols, src, srcStride, dst, dstStride);
    }

    /**
     * Frees the calling thread's cuBLASLt handles, workspaces and plans (they are otherwise kept until the
     * JVM exits). Call it from a thread that is done with GEMMs; the next GEMM on this thread makes them anew.
     */
    public static void releaseThreadResources() {
        for (LtContext c : CONTEXTS.get()) {
            if (c != null) {
                c.close();
            }
        }
        CONTEXTS.remove();
        LAST_ROUTE.remove();
    }

    private static LtContext context(int device) {
        LtContext[] contexts = CONTEXTS.get();
        if (device >= contexts.length) {
            contexts = java.util.Arrays.copyOf(contexts, device + 1);
            CONTEXTS.set(contexts);
        }
        if (contexts[device] == null) {
            contexts[device] = new LtContext(device);
        }
        return contexts[device];
    }

    static void check(int status, String operation) {
        if (status != 0) { // CUBLAS_STATUS_SUCCESS
            throw new BnbException(Status.CUDA_ERROR, operation, "cuBLAS status " + status);
        }
    }
}
