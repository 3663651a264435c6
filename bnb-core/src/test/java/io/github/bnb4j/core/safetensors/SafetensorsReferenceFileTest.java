package io.github.bnb4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;

/** Reads the reference vectors that the upstream library (safetensors' own writer) produced. */
class SafetensorsReferenceFileTest {
    static Path referenceFile() {
        URL url = SafetensorsReferenceFileTest.class.getResource("/bnb-reference-public.safetensors");
        assertNotNull(url, "bnb-reference-public.safetensors must be on the test class path");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void knownEntriesHaveTheirDtypeAndShape() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            TensorInfo dynamic = reader.info("maps.dynamic_signed");
            assertEquals(DType.F32, dynamic.dtype());
            assertArrayEquals(new long[] {256}, dynamic.shape());
            assertEquals(1024, dynamic.byteLength());

            TensorInfo input = reader.info("blockwise.f32.input");
            assertEquals(DType.F32, input.dtype());
            assertArrayEquals(new long[] {16384}, input.shape());

            float[] code = reader.readFloats("maps.dynamic_signed");
            assertEquals(256, code.length);
            assertEquals(1.0f, code[255]);
            assertEquals(0.0f, code[127]);
            assertEquals(-0.99296874f, code[0], 1e-7f);
        }
    }

    @Test
    void unknownNameSuggestsNamesWithTheSamePrefix() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.info("maps.nf5"));
            assertTrue(e.getMessage().contains("'maps.nf4'"), e.getMessage());
        }
    }

    @Test
    void metadataNamesTheSource() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            assertEquals("bitsandbytes 0.50.2.dev0 on CUDA", reader.metadata().get("source"));
        }
    }

    @Test
    void fileHas289TensorsPlusMetadata() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            assertEquals(289, reader.names().size(), "290 header entries less __metadata__");
            assertFalse(reader.names().contains("__metadata__"));
        }
    }

    @Test
    void everyTensorIsReadableWithItsDtypesReader() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                int length = switch (info.dtype()) {
                    case F32, F16, BF16 -> reader.readFloats(name).length;
                    case U8, I8 -> reader.readBytes(name).length;
                    case I32 -> reader.readInts(name).length;
                    case I64 -> reader.readLongs(name).length;
                    default -> throw new AssertionError("the reference file has no " + info.dtype() + " tensor");
                };
                assertEquals(info.numel(), length, name);
            }
        }
    }

    @Test
    void rewritingTheReferenceFileKeepsEveryTensorAndTheMetadata(@TempDir Path dir) throws IOException {
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(referenceFile())) {
            SafetensorsWriter writer = new SafetensorsWriter();
            reader.metadata().forEach(writer::metadata);
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                writer.add(name, info.dtype(), info.shape(), reader.bytes(name));
            }
            writer.write(copy);
            try (SafetensorsReader rewritten = SafetensorsReader.open(copy)) {
                assertEquals(reader.metadata(), rewritten.metadata());
                assertEquals(reader.names(), rewritten.names());
                for (String name : reader.names()) {
                    assertEquals(reader.bytes(name), rewritten.bytes(name), name);
                }
            }
        }
        assertTrue(Files.size(copy) > 8_000_000);
    }
}
