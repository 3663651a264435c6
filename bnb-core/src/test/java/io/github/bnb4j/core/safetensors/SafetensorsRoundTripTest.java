package io.github.bnb4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.github.bnb4j.core.DType;

/** Writer → reader round trips, byte-exact output and the header layout. */
class SafetensorsRoundTripTest {
    @TempDir
    Path dir;

    private static final float[] FLOATS = {1.5f, -2.25f, 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE};
    private static final short[] F16_BITS = {0x3C00, (short) 0xC000, 0x0001, 0x7C00, (short) 0x8000, 0x7BFF};
    private static final float[] F16_VALUES = {1f, -2f, 0x1p-24f, Float.POSITIVE_INFINITY, -0f, 65504f};
    private static final short[] BF16_BITS = {0x3F80, (short) 0xC040, 0x0001, 0x7F80};
    private static final float[] BF16_VALUES = {1f, -3f, Float.intBitsToFloat(0x10000), Float.POSITIVE_INFINITY};
    private static final byte[] U8 = {0, 1, 127, (byte) 128, (byte) 255};
    private static final byte[] I8 = {-128, -1, 0, 1, 127};
    private static final int[] I32 = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 42};
    private static final long[] I64 = {Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE};

    private SafetensorsWriter everyDtype() {
        return new SafetensorsWriter()
                .addFloats("f32", new long[] {2, 3}, FLOATS)
                .add("f16", DType.F16, new long[] {6}, shorts(F16_BITS))
                .add("bf16", DType.BF16, new long[] {2, 2}, shorts(BF16_BITS))
                .addBytes("u8", DType.U8, new long[] {5}, U8)
                .addBytes("i8", DType.I8, new long[] {5, 1}, I8)
                .add("i32", DType.I32, new long[] {3, 2}, ints(I32))
                .add("i64", DType.I64, new long[] {4}, longs(I64))
                .addFloats("empty", new long[] {0, 4}, new float[0])
                .addFloats("scalar", new long[] {}, new float[] {3.25f});
    }

    @Test
    void everyDtypeReadsBackAsWritten() throws IOException {
        Path file = dir.resolve("all.safetensors");
        everyDtype().write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(List.of("f32", "f16", "bf16", "u8", "i8", "i32", "i64", "empty", "scalar"),
                    List.copyOf(reader.names()), "names in insertion order");
            assertInfo(reader.info("f32"), DType.F32, 2, 3);
            assertArrayEquals(FLOATS, reader.readFloats("f32"));
            assertInfo(reader.info("f16"), DType.F16, 6);
            assertArrayEquals(F16_BITS, reader.readShorts("f16"));
            assertArrayEquals(F16_VALUES, reader.readFloats("f16"), "f16 widened exactly");
            assertInfo(reader.info("bf16"), DType.BF16, 2, 2);
            assertArrayEquals(BF16_BITS, reader.readShorts("bf16"));
            assertArrayEquals(BF16_VALUES, reader.readFloats("bf16"), "bf16 widened exactly");
            assertInfo(reader.info("u8"), DType.U8, 5);
            assertArrayEquals(U8, reader.readBytes("u8"));
            assertInfo(reader.info("i8"), DType.I8, 5, 1);
            assertArrayEquals(I8, reader.readBytes("i8"));
            assertInfo(reader.info("i32"), DType.I32, 3, 2);
            assertArrayEquals(I32, reader.readInts("i32"));
            assertInfo(reader.info("i64"), DType.I64, 4);
            assertArrayEquals(I64, reader.readLongs("i64"));

            TensorInfo empty = reader.info("empty");
            assertInfo(empty, DType.F32, 0, 4);
            assertEquals(0, empty.numel());
            assertEquals(0, empty.byteLength());
            assertArrayEquals(new float[0], reader.readFloats("empty"));
            assertEquals(0, reader.bytes("empty").remaining());

            TensorInfo scalar = reader.info("scalar");
            assertInfo(scalar, DType.F32);
            assertEquals(0, scalar.rank());
            assertEquals(1, scalar.numel(), "a scalar has one element");
            assertArrayEquals(new float[] {3.25f}, reader.readFloats("scalar"));
        }
    }

    @Test
    void bytesIsAReadOnlyLittleEndianViewOfExactlyTheTensor() throws IOException {
        Path file = dir.resolve("view.safetensors");
        everyDtype().write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            ByteBuffer bytes = reader.bytes("i32");
            assertTrue(bytes.isReadOnly());
            assertEquals(ByteOrder.LITTLE_ENDIAN, bytes.order());
            assertEquals(0, bytes.position());
            assertEquals(I32.length * 4, bytes.remaining());
            assertEquals(Integer.MIN_VALUE, bytes.getInt(0));
            assertEquals(42, bytes.getInt(20));
            assertEquals(ByteOrder.LITTLE_ENDIAN, reader.bytes("empty").order());
        }
    }

    @Test
    void writingTheSameContentTwiceGivesIdenticalBytes() throws IOException {
        Path first = dir.resolve("first.safetensors");
        Path second = dir.resolve("second.safetensors");
        SafetensorsWriter writer = everyDtype().metadata("format", "pt");
        writer.write(first);
        writer.write(second);
        assertEquals(-1, Files.mismatch(first, second), "same writer twice");

        Path third = dir.resolve("third.safetensors");
        everyDtype().metadata("format", "pt").write(third);
        assertEquals(-1, Files.mismatch(first, third), "fresh writer with the same content");

        // Re-writing what a reader gives back reproduces the file too.
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(first)) {
            SafetensorsWriter rewriter = new SafetensorsWriter();
            reader.metadata().forEach(rewriter::metadata);
            for (String name : reader.names()) {
                TensorInfo info = reader.info(name);
                rewriter.add(name, info.dtype(), info.shape(), reader.bytes(name));
            }
            rewriter.write(copy);
        }
        assertEquals(-1, Files.mismatch(first, copy), "read then rewrite");
    }

    @Test
    void headerIsCompactJsonInInsertionOrderPaddedWithSpacesToEightBytes() throws IOException {
        Path file = dir.resolve("layout.safetensors");
        new SafetensorsWriter()
                .addFloats("b", new long[] {2}, new float[] {1f, 2f})
                .metadata("k", "v")
                .addBytes("a", DType.U8, new long[] {3}, new byte[] {7, 8, 9})
                .write(file);
        byte[] content = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String expectedJson = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";
        assertEquals(0, headerLength % 8, "header length is a multiple of 8");
        assertEquals((expectedJson.length() + 7) / 8 * 8, headerLength);
        String header = new String(content, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals(expectedJson, header.stripTrailing());
        assertTrue(header.substring(expectedJson.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        assertEquals(8 + headerLength + 11, content.length, "data follows the header with no gap");
        assertEquals(1f, ByteBuffer.wrap(content).order(ByteOrder.LITTLE_ENDIAN).getFloat(8 + (int) headerLength));
        assertEquals(9, content[content.length - 1]);
    }

    @Test
    void emptyWriterWritesAValidFileWithNoTensors() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(file);
        assertEquals(16, Files.size(file), "8-byte length + \"{}\" padded to 8");
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertTrue(reader.names().isEmpty());
            assertTrue(reader.metadata().isEmpty());
        }
    }

    @Test
    void metadataRoundTripsIncludingCharactersThatNeedEscaping() throws IOException {
        Path file = dir.resolve("meta.safetensors");
        String trickyKey = "quote\" backslash\\ newline\n tab\t ctrl\u0001";
        String unicode = "grüße € 😀 /slash";
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata(trickyKey, unicode)
                .metadata("format", "np") // replaces, keeps the first position
                .addFloats("x", new long[] {1}, new float[] {1f})
                .write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(Map.of("format", "np", trickyKey, unicode), reader.metadata());
            assertEquals(List.of("format", trickyKey), List.copyOf(reader.metadata().keySet()));
        }
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Files.writeString(file, "old content that is not safetensors");
        new SafetensorsWriter().addFloats("w", new long[] {2}, new float[] {4f, 5f}).write(file);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertArrayEquals(new float[] {4f, 5f}, reader.readFloats("w"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "only the target remains");
        }
    }

    @Test
    void writerRejectsDuplicateNames() {
        SafetensorsWriter writer = new SafetensorsWriter().addFloats("w", new long[] {1}, new float[] {1f});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.addBytes("w", DType.U8, new long[] {1}, new byte[1]));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void writerRejectsDataWhoseSizeDoesNotMatchTheShape() {
        SafetensorsWriter writer = new SafetensorsWriter();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.add("w", DType.F32, new long[] {2, 2}, ByteBuffer.allocate(15)));
        assertTrue(e.getMessage().contains("16") && e.getMessage().contains("15"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> writer.addFloats("v", new long[] {3}, new float[] {1f, 2f}));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addBytes("u", DType.I32, new long[] {1}, new byte[3]));
    }

    @Test
    void writerRejectsNegativeDimensionsOverflowAndTheReservedName() {
        SafetensorsWriter writer = new SafetensorsWriter();
        assertThrows(IllegalArgumentException.class,
                () -> writer.addBytes("w", DType.U8, new long[] {-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> writer.add("w", DType.I64, new long[] {1L << 62, 4}, ByteBuffer.allocate(0)));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addBytes("__metadata__", DType.U8, new long[] {1}, new byte[1]));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addBytes("bad\uD800name", DType.U8, new long[] {1}, new byte[1]));
    }

    @Test
    void addDoesNotMoveTheCallersBufferPosition() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(9);
        data.position(4);
        new SafetensorsWriter().add("x", DType.I32, new long[] {1}, data).write(dir.resolve("p.safetensors"));
        assertEquals(4, data.position());
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("p.safetensors"))) {
            assertArrayEquals(new int[] {9}, reader.readInts("x"), "the remaining bytes were written");
        }
    }

    private static void assertInfo(TensorInfo info, DType dtype, long... shape) {
        assertEquals(dtype, info.dtype(), info.name());
        assertArrayEquals(shape, info.shape(), info.name());
        assertFalse(info.begin() > info.end());
    }

    private static ByteBuffer shorts(short[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(values);
        return b;
    }

    private static ByteBuffer ints(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        return b;
    }

    private static ByteBuffer longs(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return b;
    }
}
