package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.TensorScope;
import io.github.bnb4j.optim.state.OptimizerStateDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint tensors larger than {@link OptimizerStateDict#MAX_TENSOR_BYTES}: refused with a message naming the
 * tensor and its size, before anything is written or read, never truncated (issue 13, item 5).
 */
class CheckpointSizeLimitTest {
    private static final long TOO_BIG = OptimizerStateDict.MAX_TENSOR_BYTES + 1;

    @TempDir
    Path dir;

    @Test
    void saveRefusesATensorOverTheLimitAndWritesNothing() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor backing = Tensor.zeros(DType.U8, Device.cpu(), 16);
            // a view that claims 2 GiB of host memory; it is never read, the size check comes first
            Tensor huge = TensorScope.detach(Tensor.wrap(backing.address(), DType.U8, Device.cpu(), TOO_BIG));
            Path file = dir.resolve("big.safetensors");
            try (OptimizerStateDict sd = OptimizerStateDict.of(Map.of("format", "x"), Map.of("param.0.0.state1",
                    huge))) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                        () -> sd.save(file));
                assertTrue(e.getMessage().contains("'param.0.0.state1'") && e.getMessage().contains(
                        Long.toString(TOO_BIG)), e.getMessage());
            }
            assertFalse(file.toFile().exists(), "nothing may be written");
        }
    }

    @Test
    void loadRefusesATensorOverTheLimitBeforeReadingIt() throws IOException {
        Path file = dir.resolve("big.safetensors");
        String header = "{\"param.0.0.state1\":{\"dtype\":\"U8\",\"shape\":[" + TOO_BIG + "],\"data_offsets\":[0,"
                + TOO_BIG + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            out.setLength(8 + json.length + TOO_BIG); // sparse: takes no disk space
        }
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> OptimizerStateDict.load(file));
        assertTrue(e.getMessage().contains("'param.0.0.state1'") && e.getMessage().contains(Long.toString(TOO_BIG)),
                e.getMessage());
    }
}
