package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.bnb4j.core.testing.Backends;
import io.github.bnb4j.nativelib.OutOfDeviceMemoryException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link TensorConformance} on CUDA, plus streams, managed memory and out-of-memory. */
@Tag("cuda")
class TensorCudaTest extends TensorConformance {
    @Override
    Device device() {
        return Backends.cudaOrSkip();
    }

    @Test
    void opsRunOnTheCurrentStream() {
        Device d = device();
        try (CudaStream s = CudaStream.create(d); CudaStream.Scope scope = CudaStream.use(s)) {
            assertEquals(s, CudaStream.current(d));
            try (Tensor t = Tensor.fromFloats(new float[] {1, 2}, DType.F32, d, 2)) {
                assertArrayEquals(new float[] {1, 2}, t.toFloatArray());
            }
        }
        assertEquals(0L, CudaStream.current(d).address());
    }

    @Test
    void managedMemoryWorks() {
        try (Tensor m = Tensor.emptyManaged(DType.F32, device(), 1024)) {
            assertEquals(MemoryKind.MANAGED, m.memoryKind());
            m.fillZero();
            assertArrayEquals(new float[1024], m.toFloatArray());
        }
    }

    @Test
    void outOfMemoryNamesTheBytes() {
        long tooMuch = 1L << 50;
        OutOfDeviceMemoryException e = assertThrows(OutOfDeviceMemoryException.class,
                () -> Tensor.empty(DType.U8, device(), tooMuch));
        assertEquals(tooMuch, e.bytesRequested());
    }

    @Test
    void cpuTensorsOnCudaDeviceIndexOutOfRangeAreRejected() {
        device();
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(DType.F32, Device.cuda(999), 1));
    }
}
