package io.github.bnb4j.nativelib;

/** The kinds of native backend bnb4j can run on. */
public enum Backend {
    /** {@code libbnb_cpu}: always present. */
    CPU,
    /** One of the {@code libbnb_cuda<suffix>} builds. */
    CUDA
}
