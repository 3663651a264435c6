package io.github.bnb4j.core;

/** Who allocated a tensor's memory, and so how {@link Tensor#close()} releases it. */
public enum MemoryKind {
    /** Host memory from {@code malloc}. */
    HOST,
    /** Ordinary device memory ({@code cudaMalloc}). */
    DEVICE,
    /** Page-locked host memory ({@code cudaMallocHost}). */
    PINNED,
    /** CUDA managed (unified) memory, which the driver may page between host and device. */
    MANAGED,
    /** Memory another framework owns; closing the tensor releases nothing. */
    FOREIGN
}
