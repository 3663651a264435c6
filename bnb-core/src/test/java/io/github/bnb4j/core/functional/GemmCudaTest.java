package io.github.bnb4j.core.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.Backends;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link GemmConformance} on the CUDA backend (cuBLASLt). */
@Tag("cuda")
class GemmCudaTest extends GemmConformance {
    @Override
    protected Device device() {
        return Backends.cudaOrSkip();
    }

    /**
     * cuBLASLt, loaded through the JavaCPP presets, runs on a stream that bnb4j's plugin (static CUDA runtime)
     * created, ordered with bnb4j's own copies on that stream (docs/DECISIONS.md).
     */
    @Test
    void runsOnAStreamMadeByThePlugin() {
        Device gpu = device();
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {1, 0, -1, 2, 0.5f, 0};
        try (CudaStream stream = CudaStream.create(gpu); CudaStream.Scope scope = CudaStream.use(stream)) {
            Tensor x = Tensor.fromFloats(a, DType.F32, gpu, 2, 3);
            Tensor w = Tensor.fromFloats(b, DType.F32, gpu, 2, 3);
            Tensor out = Gemm.linear(x, w);
            try (Tensor host = out.to(Device.cpu())) {
                // x · wᵀ: rows (1, 2, 3) and (4, 5, 6) against (1, 0, -1) and (2, 0.5, 0)
                assertArrayEquals(new float[] {-2, 3, -2, 10.5f}, host.toFloatArray());
            }
        }
    }
}
