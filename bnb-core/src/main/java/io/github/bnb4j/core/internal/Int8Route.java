package io.github.bnb4j.core.internal;

import java.util.Objects;

/**
 * Which kernels {@code Int8Matmul} runs on a CUDA device, chosen per thread, so that a benchmark or a test can run
 * both on the same products. Not API: applications keep the default, {@link #FUSED}.
 */
public enum Int8Route {
    /**
     * {@link NativeInt8#fusedMatmul} for up to {@link NativeInt8#FUSED_MAX_ROWS} rows (no host synchronization, the
     * weight read once), the {@link #UNFUSED} kernels for more.
     */
    FUSED,
    /**
     * Always the separate steps: quantize, cuBLASLt int8 GEMM, fused dequantization, and with outliers the host
     * reads their count, then gathers them and adds their 16-bit GEMM.
     */
    UNFUSED;

    private static final ThreadLocal<Int8Route> CURRENT = ThreadLocal.withInitial(() -> FUSED);

    /** The calling thread's route. */
    public static Int8Route current() {
        return CURRENT.get();
    }

    /**
     * Sets the calling thread's route.
     *
     * @throws NullPointerException if {@code route} is null
     */
    public static void select(Int8Route route) {
        CURRENT.set(Objects.requireNonNull(route, "route"));
    }
}
