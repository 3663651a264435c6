package io.github.bnb4j.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.nativelib.BnbException;
import io.github.bnb4j.nativelib.Status;
import org.junit.jupiter.api.Test;

/**
 * The last line of defence under the functional ops' own checks: the quantization facade passes the buffers'
 * lengths, and the C API refuses buffers too short for the call (before this, a short absmax or a 16-entry code
 * book was read out of bounds, which crashed the JVM or returned garbage). Nothing is written.
 */
class NativeQuantTest {
    private static final Device CPU = Device.cpu();

    @Test
    void aShortAbsmaxIsRefusedByTheCApi() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor code = Tensor.zeros(DType.F32, CPU, 256);
            Tensor a = Tensor.zeros(DType.F32, CPU, 1000);
            Tensor absmax = Tensor.zeros(DType.F32, CPU, 3); // 1000 / 256 needs 4
            Tensor codes = Tensor.zeros(DType.U8, CPU, 1000);
            BnbException e = assertThrows(BnbException.class,
                    () -> NativeQuant.quantizeBlockwise(code, a, absmax, codes, 256));
            assertEquals(Status.INVALID_ARGUMENT, e.status());
            assertTrue(e.getMessage().contains(
                    "absmax_len must be >= ceil(n / blocksize) = 4 for n = 1000 and blocksize = 256, got 3"),
                    e.getMessage());
            Tensor out = Tensor.zeros(DType.BF16, CPU, 1000);
            e = assertThrows(BnbException.class, () -> NativeQuant.dequantizeBlockwise(code, codes, absmax, out, 256));
            assertEquals(Status.INVALID_ARGUMENT, e.status());
            assertArrayEquals(new float[1000], out.toFloatArray(), "nothing written");
        }
    }

    @Test
    void aCodeBookOf16EntriesIsRefusedByTheCApi() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor code = Tensor.zeros(DType.F32, CPU, 16);
            Tensor codes = Tensor.zeros(DType.U8, CPU, 64);
            Tensor absmax = Tensor.zeros(DType.F32, CPU, 1);
            Tensor out = Tensor.zeros(DType.F32, CPU, 64);
            BnbException e = assertThrows(BnbException.class,
                    () -> NativeQuant.dequantizeBlockwise(code, codes, absmax, out, 64));
            assertEquals(Status.INVALID_ARGUMENT, e.status());
            assertTrue(e.getMessage().contains("code_len must be 256 (one f32 per 8-bit code), got 16"),
                    e.getMessage());
        }
    }
}
