package io.github.bnb4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link TensorConformance} on the CPU, plus CPU-only behaviour. */
class TensorCpuTest extends TensorConformance {
    @Override
    Device device() {
        return Device.cpu();
    }

    @Test
    void byteBufferViewSharesMemory() {
        try (Tensor t = Tensor.zeros(DType.F32, Device.cpu(), 2)) {
            t.asByteBuffer().putFloat(4, 2.5f);
            assertEquals(2.5f, t.toFloatArray()[1]);
        }
    }

    @Test
    void devicesParseAndValidate() {
        assertEquals(Device.cuda(3), Device.parse("cuda:3"));
        assertEquals(Device.cpu(), Device.parse("cpu"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu"));
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }
}
