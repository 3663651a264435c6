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
    void pooledTensorsOutliveTheStreamTheyWereMadeOn() {
        Device d = device();
        Tensor t;
        try (CudaStream s = CudaStream.create(d); CudaStream.Scope scope = CudaStream.use(s)) {
            t = Tensor.fromFloats(new float[] {3, 4, 5}, DType.F32, d, 3);
        }
        try (t) {
            assertArrayEquals(new float[] {3, 4, 5}, t.toFloatArray());
        }
        // Freed in the legacy stream's order; the pool hands the memory out again.
        for (int i = 0; i < 100; i++) {
            try (Tensor again = Tensor.fromFloats(new float[] {i}, DType.F32, d, 1)) {
                assertEquals(i, again.toFloatArray()[0]);
            }
        }
    }

    @Test
    void tensorsMadeOnAWrappedStreamUsePlainAllocations() {
        Device d = device();
        try (CudaStream owner = CudaStream.create(d); CudaStream view = CudaStream.wrap(owner.address(), d);
             CudaStream.Scope scope = CudaStream.use(view);
             Tensor t = Tensor.fromFloats(new float[] {1, -1}, DType.F32, d, 2)) {
            assertArrayEquals(new float[] {1, -1}, t.toFloatArray());
        }
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
