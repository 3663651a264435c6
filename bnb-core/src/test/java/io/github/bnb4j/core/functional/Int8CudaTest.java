package io.github.bnb4j.core.functional;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;

/** {@link Int8Conformance} on the CUDA backend (the int8 GEMM through cuBLASLt, padded where it must be). */
@Tag("cuda")
class Int8CudaTest extends Int8Conformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }
}
