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
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

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
                + "\"filler\":{\"dtype\":\"U8\",\"shape\":[" + (far - 4) + "],\"data_offsets\":[4," + far + "]},"
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

    @Test
    void tensorsOfEveryDtypeRoundTripThroughWriterAndReader() throws IOException {
        Path file = dir.resolve("dtypes.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter();
        List<Tensor> written = new java.util.ArrayList<>();
        for (DType dtype : DType.values()) {
            byte[] bytes = new byte[5 * dtype.byteSize()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (31 * i + dtype.ordinal());
            }
            Tensor t = Tensor.fromBuffer(ByteBuffer.wrap(bytes), dtype, Device.cpu(), 5, 1);
            written.add(t);
            writer.add(dtype.safetensorsName(), t);
        }
        writer.write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            for (Tensor t : written) {
                try (Tensor back = reader.read(t.dtype().safetensorsName(), Device.cpu())) {
                    assertEquals(t.dtype(), back.dtype());
                    assertArrayEquals(t.shape(), back.shape());
                    assertEquals(t.toByteBuffer(), back.toByteBuffer(), t.dtype().toString());
                }
            }
        } finally {
            written.forEach(Tensor::close);
        }
    }

    @Test
    void aWriterRefusesATensorClosedBeforeItWritesAndLeavesNoFile() throws IOException {
        Path file = dir.resolve("closed.safetensors");
        Tensor t = Tensor.zeros(DType.F32, Device.cpu(), 4);
        SafetensorsWriter writer = new SafetensorsWriter().add("t", t);
        t.close();
        assertThrows(IllegalStateException.class, () -> writer.write(file));
        try (java.util.stream.Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "no target and no temporary file");
        }
    }

    @Test
    void closingWhileOtherThreadsReadGivesTheDocumentedIllegalStateException() throws Exception {
        Path file = smallFile();
        for (int round = 0; round < 50; round++) {
            SafetensorsReader reader = SafetensorsReader.open(file);
            AtomicReference<Throwable> unexpected = new AtomicReference<>();
            Thread worker = new Thread(() -> {
                try {
                    while (true) {
                        reader.bytes("codes");
                        try (Tensor t = reader.read("layer3.weight", Device.cpu())) {
                            t.numel();
                        }
                    }
                } catch (IllegalStateException expected) {
                    // the only allowed outcome
                } catch (Throwable t) {
                    unexpected.set(t);
                }
            });
            worker.start();
            Thread.sleep(round % 3);
            reader.close();
            worker.join();
            if (unexpected.get() != null) {
                throw new AssertionError("round " + round + ": expected IllegalStateException", unexpected.get());
            }
        }
    }

    /** A sparse file whose one U8 tensor is 2 GiB + 16 bytes, with {@code 7} at its last byte. */
    private Path sparseBigFile() throws IOException {
        Path file = dir.resolve("big.safetensors");
        long big = (1L << 31) + 16;
        byte[] json = ("{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]}}")
                .getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            raf.write(json);
            raf.setLength(8 + json.length + big);
            raf.seek(8 + json.length + big - 1);
            raf.write(7);
        }
        return file;
    }

    @Test
    void aTensorOverTwoGibibytesOpensAndItsByteBufferIsRefusedClearly() throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(sparseBigFile())) {
            assertEquals((1L << 31) + 16, reader.info("big").byteLength());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> reader.bytes("big"));
            assertTrue(e.getMessage().contains("read(name, device)"), e.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> reader.readBytes("big"));
        }
    }

    /** Reads and writes 2 GiB of host memory and disk; slow. */
    @Test
    @Tag("slow")
    void aTensorOverTwoGibibytesIsReadToATensorAndWrittenBackInChunks() throws IOException {
        long big = (1L << 31) + 16;
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(sparseBigFile());
                Tensor t = reader.read("big", Device.cpu())) {
            assertEquals(7, t.asByteBuffer(big - 1, 1).get(0));
            assertEquals(0, t.asByteBuffer(1L << 31, 1).get(0));
            new SafetensorsWriter().add("big", t).write(copy);
        }
        try (SafetensorsReader reader = SafetensorsReader.open(copy);
                Tensor t = reader.read("big", Device.cpu())) {
            assertEquals(7, t.asByteBuffer(big - 1, 1).get(0));
        }
    }
}
