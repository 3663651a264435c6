package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint tensors of 2 GiB or more (the 32-bit state of a parameter of 2^29 elements) save, load and are
 * range-checked whole, never truncated (issue 13, item 5). Needs about 5 GiB of host memory and 2 GiB of disk.
 */
@Tag("slow")
class CheckpointLargeTensorTest {
    private static final long BYTES = (1L << 31) + 16;

    @TempDir
    Path dir;

    @Test
    void aTensorOverTwoGibRoundTripsThroughAFile() throws IOException {
        try (TensorScope scope = TensorScope.open()) {
            Tensor big = TensorScope.detach(Tensor.zeros(DType.U8, Device.cpu(), BYTES));
            big.asByteBuffer(BYTES - 4, 4).put(new byte[] {1, 2, 3, 4});
            Path file = dir.resolve("big.safetensors");
            try (OptimizerStateDict sd = OptimizerStateDict.of(Map.of("k", "v"), Map.of("t", big))) {
                sd.save(file);
            }
            try (OptimizerStateDict back = OptimizerStateDict.load(file)) {
                Tensor t = back.tensors().get("t");
                assertEquals(BYTES, t.byteSize());
                byte[] tail = new byte[4];
                t.asByteBuffer(BYTES - 4, 4).get(tail);
                assertArrayEquals(new byte[] {1, 2, 3, 4}, tail);
            }
        }
    }

    @Test
    void rangeChecksReachTheLastElementOfATensorOverTwoGib() {
        try (TensorScope scope = TensorScope.open()) {
            long n = BYTES / Float.BYTES;
            Tensor state = Tensor.zeros(DType.F32, Device.cpu(), n);
            state.asByteBuffer(BYTES - 4, 4).putFloat(Float.NaN);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CheckpointValues.FINITE.require(state, "param.0.0.state1"));
            assertTrue(e.getMessage().contains("index " + (n - 1)), e.getMessage());
        }
    }
}
