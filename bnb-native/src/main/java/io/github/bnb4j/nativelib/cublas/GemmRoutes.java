package io.github.bnb4j.nativelib.cublas;

import java.util.List;

/**
 * Which {@link GemmRoute}s a dense GEMM plan may time and keep. {@link #FASTEST} is what the library uses; the
 * others exist so that tests and benchmarks can run each route on its own.
 */
public enum GemmRoutes {
    /** Every route that can run the product; the first call with beta = 0 times them and keeps the fastest. */
    FASTEST,
    /** cuBLASLt only. */
    CUBLASLT,
    /** cublasGemmEx only; refused for products it cannot run (bias, int8). */
    CUBLAS;

    /**
     * The routes a plan for {@code g} times, in order; the first runs until the timing has happened.
     *
     * @throws IllegalArgumentException if this is {@link #CUBLAS} and {@code g} has a bias or int8 operands
     */
    public List<GemmRoute> candidatesFor(LtGemm g) {
        boolean cublas = cublasCanRun(g);
        return switch (this) {
            case FASTEST -> cublas ? List.of(GemmRoute.CUBLASLT, GemmRoute.CUBLAS) : List.of(GemmRoute.CUBLASLT);
            case CUBLASLT -> List.of(GemmRoute.CUBLASLT);
            case CUBLAS -> {
                if (!cublas) {
                    throw new IllegalArgumentException("routes CUBLAS cannot run " + g
                            + ": cublasGemmEx takes floating point operands without bias");
                }
                yield List.of(GemmRoute.CUBLAS);
            }
        };
    }

    /** Whether {@code cublasGemmEx} computes {@code g}: no bias epilogue, and not the int8 product. */
    static boolean cublasCanRun(LtGemm g) {
        return !g.bias() && g.type() != LtType.I8_I32;
    }
}
