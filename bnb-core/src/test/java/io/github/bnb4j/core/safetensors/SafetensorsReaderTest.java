package io.github.bnb4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;

/** Reader behaviour beyond format validation: lookups, dtype checks, close, large files. */
class SafetensorsReaderTest {
    @TempDir
    Path dir;

    private Path smallFile() throws IOException {
        Path file = dir.resolve("small.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (int i = 0; i < 8; i++) {
            writer.addFloats("layer" + i + ".weight", new long[] {1}, new float[] {i});
        }
        writer.addBytes("codes", DType.U8, new long[] {2}, new byte[] {1, 2});
        writer.write(file);
        return file;
    }

    @Test
    void unknownNameSaysWhichNamesExist() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(smallFile())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> reader.info("layer9.weight"));
            String message = e.getMessage();
            assertTrue(message.contains("'layer9.weight'"), message);
            assertTrue(message.contains("9 tensors"), message);
            assertTrue(message.contains("'layer0.weight'") && message.contains("..."), message);
            assertThrows(IllegalArgumentException.class, () -> reader.bytes("nope"));
            assertThrows(IllegalArgumentException.class, () -> reader.readFloats("nope"));
            assertTrue(reader.contains("codes"));
        }
    }

    @Test
    void readingWithTheWrongDtypeNamesBothDtypes() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(smallFile())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> reader.readFloats("codes"));
            assertTrue(e.getMessage().contains("U8") && e.getMessage().contains("F32"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> reader.readBytes("layer0.weight"));
            assertThrows(IllegalArgumentException.class, () -> reader.readShorts("layer0.weight"));
            assertThrows(IllegalArgumentException.class, () -> reader.readInts("codes"));
            assertThrows(IllegalArgumentException.class, () -> reader.readLongs("codes"));
        }
    }

    @Test
    void namesKeepFileOrderNotAlphabeticalOrder() throws IOException {
        Path file = dir.resolve("order.safetensors");
        new SafetensorsWriter()
                .addFloats("zeta", new long[] {1}, new float[] {1f})
                .addFloats("alpha", new long[] {1}, new float[] {2f})
                .addFloats("mu", new long[] {1}, new float[] {3f})
                .write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(List.of("zeta", "alpha", "mu"), List.copyOf(reader.names()));
        }
    }

    @Test
    void everyMethodThrowsAfterCloseAndClosingTwiceIsHarmless() throws IOException {
        SafetensorsReader reader = SafetensorsReader.open(smallFile());
        ByteBuffer before = reader.bytes("codes");
        reader.close();
        assertDoesNotThrow(reader::close);
        List<Executable> calls = List.of(
                reader::metadata, reader::names, () -> reader.contains("codes"), () -> reader.info("codes"),
                () -> reader.bytes("codes"), () -> reader.readFloats("layer0.weight"),
                () -> reader.readShorts("codes"), () -> reader.readBytes("codes"), () -> reader.readInts("codes"),
                () -> reader.readLongs("codes"));
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        assertEquals(2, before.get(1), "a buffer handed out before close stays readable");
    }

    @Test
    void headerMayHaveWhitespaceEscapesAndNullMetadata() throws IOException {
        Path file = dir.resolve("hand.safetensors");
        String header = "\n{ \"__metadata__\" : null ,\r\n\t\"w\\u00e9\\\"ight\" : { \"data_offsets\" : [ 0 , 4 ],"
                + " \"shape\" : [ 2 ], \"dtype\" : \"BF16\", \"extra\": {\"ignored\": [true, false, 1.5e3]} } }  ";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer content = ByteBuffer.allocate(8 + json.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        content.putLong(json.length).put(json).putShort((short) 0x3F80).putShort((short) 0x4000);
        Files.write(file, content.array());
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertTrue(reader.metadata().isEmpty());
            assertEquals(List.of("wé\"ight"), List.copyOf(reader.names()));
            assertArrayEquals(new float[] {1f, 2f}, reader.readFloats("wé\"ight"));
        }
    }

    /**
     * A sparse file of about 3 GiB with a tensor past the 2 GiB mark: mapping per tensor must not be limited
     * by the file size. Tagged slow because file systems without sparse files would write 3 GiB.
     */
    @Test
    @Tag("slow")
    void tensorsBeyondTwoGibibytesAreReadable() throws IOException {
        Path file = dir.resolve("large.safetensors");
        long far = 3L << 30;
        String header = "{\"near\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"far\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[" + far + "," + (far + 8) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + json.length;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
            raf.write(prefix.array());
            raf.write(json);
            raf.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(11).array());
            raf.seek(dataStart + far);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-5).putInt(77).array());
        }
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertArrayEquals(new int[] {11}, reader.readInts("near"));
            assertArrayEquals(new int[] {-5, 77}, reader.readInts("far"));
        }
    }
}
