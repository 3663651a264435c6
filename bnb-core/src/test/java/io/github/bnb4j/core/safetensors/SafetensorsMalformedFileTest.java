package io.github.bnb4j.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One test per way a file can break the format. Each bad file is built by hand; each test checks that
 * {@link SafetensorsReader#open} throws {@link SafetensorsFormatException} naming the file, the tensor at
 * fault and the problem.
 */
class SafetensorsMalformedFileTest {
    @TempDir
    Path dir;

    @Test
    void fileShorterThanTheLengthPrefixIsTruncated() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertRejected(file, null, "shorter than the 8-byte header length");
    }

    @Test
    void emptyFileIsTruncated() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Files.write(file, new byte[0]);
        assertRejected(file, null, "0 bytes");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path file = dir.resolve("long-header.safetensors");
        Files.write(file, concat(lengthPrefix(1000), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(file, null, "header length 1000 goes beyond the end of the file");
    }

    @Test
    void headerLengthAboveTwoToTheSixtyThreeIsBeyondTheFile() throws IOException {
        Path file = dir.resolve("huge-header.safetensors");
        Files.write(file, concat(lengthPrefix(-1L), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(file, null, "header length 18446744073709551615 goes beyond the end of the file");
    }

    @Test
    void headerThatIsNotValidJson() throws IOException {
        Path file = writeRaw("{\"t\": {\"dtype\": \"F32\",", 0);
        assertRejected(file, null, "header is not valid JSON");
    }

    @Test
    void headerWithTrailingGarbageIsNotValidJson() throws IOException {
        Path file = writeRaw("{} {}", 0);
        assertRejected(file, null, "trailing content");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        Path file = dir.resolve("latin1.safetensors");
        byte[] header = {'{', '"', (byte) 0xE9, '"', ':', '1', '}', ' '};
        Files.write(file, concat(lengthPrefix(header.length), header));
        assertRejected(file, null, "not valid UTF-8");
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        Path file = writeRaw("[1, 2, 3]", 0);
        assertRejected(file, null, "header must be a JSON object, got an array");
    }

    @Test
    void entryThatIsNotAnObject() throws IOException {
        Path file = writeRaw("{\"weight\": [0, 4]}", 4);
        assertRejected(file, "weight", "entry must be a JSON object");
    }

    @Test
    void entryMissingDtype() throws IOException {
        Path file = writeRaw("{\"weight\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4);
        assertRejected(file, "weight", "no \"dtype\"");
    }

    @Test
    void entryMissingShape() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4);
        assertRejected(file, "weight", "no \"shape\"");
    }

    @Test
    void entryMissingDataOffsets() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4);
        assertRejected(file, "weight", "no \"data_offsets\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"weight\": {\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}}|\"dtype\" must be a string",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": \"1\", \"data_offsets\": [0, 4]}}|\"shape\" must be an array",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]}}|element 0 is a number (1.0)",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": [null], \"data_offsets\": [0, 4]}}|element 0 is null",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": {\"begin\": 0}}}"
                + "|\"data_offsets\" must be an array",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}|must have 2 elements, got 3",
        "{\"weight\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, \"4\"]}}|element 1 is a string",
    })
    void entryFieldsOfTheWrongJsonType(String headerAndProblem) throws IOException {
        String[] parts = headerAndProblem.split("\\|");
        Path file = writeRaw(parts[0], 8);
        assertRejected(file, "weight", parts[1]);
    }

    @Test
    void metadataThatIsNotAnObjectOfStrings() throws IOException {
        Path file = writeRaw("{\"__metadata__\": {\"epochs\": 3}}", 0);
        assertRejected(file, null, "value of key \"epochs\" must be a string");
    }

    @Test
    void unknownDtype() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8);
        assertRejected(file, "weight", "unknown dtype \"F64\"");
    }

    @Test
    void negativeDimension() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F32\", \"shape\": [2, -2], \"data_offsets\": [0, 16]}}", 16);
        assertRejected(file, "weight", "negative dimension");
    }

    @Test
    void shapeWhoseByteCountDoesNotMatchTheOffsets() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 24);
        assertRejected(file, "weight", "needs 24 bytes, but data_offsets [0, 20] span 20");
    }

    @Test
    void shapeWhoseByteCountOverflows() throws IOException {
        long big = 1L << 62;
        Path file = writeRaw(
                "{\"weight\": {\"dtype\": \"F32\", \"shape\": [" + big + ", 2], \"data_offsets\": [0, 8]}}",
                8);
        assertRejected(file, "weight", "overflows");
    }

    @Test
    void offsetsBeyondTheDataRegion() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 12);
        assertRejected(file, "weight", "go beyond the data region, which is 12 bytes");
    }

    @Test
    void negativeOffsets() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [-4, 0]}}", 8);
        assertRejected(file, "weight", "must not be negative");
    }

    @Test
    void beginAfterEnd() throws IOException {
        Path file = writeRaw("{\"weight\": {\"dtype\": \"U8\", \"shape\": [0], \"data_offsets\": [8, 4]}}", 8);
        assertRejected(file, "weight", "begin > end");
    }

    @Test
    void overlappingByteRanges() throws IOException {
        Path file = writeRaw("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [12, 20]}}", 20);
        SafetensorsFormatException e = assertRejected(file, "b", "overlaps tensor 'a'");
        assertTrue(e.getMessage().contains("[12, 20)") && e.getMessage().contains("[0, 16)"), e.getMessage());
    }

    @Test
    void gapsInTheDataRegionAndEmptyTensorsInsideOthersAreAccepted() throws IOException {
        // Not errors: the data region need not be covered, and an empty tensor owns no byte.
        Path file = writeRaw("{\"late\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [6, 8]},"
                + " \"inside\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [7, 7]},"
                + " \"early\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}", 10);
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertEquals(3, reader.names().size());
            assertArrayEquals(new byte[] {6, 7}, reader.readBytes("late"), "data bytes are their own offsets");
            assertArrayEquals(new byte[] {1}, reader.readBytes("early"));
        }
    }

    @Test
    void failedOpenLeavesNoOpenFile() throws IOException {
        Path fdDirectory = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fdDirectory), "needs Linux /proc to count open files");
        Path file = writeRaw("{\"weight\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8);
        long before = countEntries(fdDirectory);
        for (int i = 0; i < 20; i++) {
            assertThrows(SafetensorsFormatException.class, () -> SafetensorsReader.open(file));
        }
        assertTrue(countEntries(fdDirectory) < before + 20, "failed opens must close their file");
    }

    private SafetensorsFormatException assertRejected(Path file, String tensor, String problem) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class,
                () -> SafetensorsReader.open(file));
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()), "names the file: " + message);
        if (tensor != null) {
            assertTrue(message.contains("tensor '" + tensor + "'"), "names the tensor: " + message);
        }
        assertTrue(message.contains(problem), "says \"" + problem + "\": " + message);
        return e;
    }

    /** A file with the given header (padded to 8 bytes) and {@code dataBytes} bytes whose values are 0, 1, 2, …. */
    private Path writeRaw(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer file = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(padded).put(json);
        while (file.position() < 8 + padded) {
            file.put((byte) ' ');
        }
        for (int i = 0; i < dataBytes; i++) {
            file.put((byte) i);
        }
        Path path = dir.resolve("bad-" + Integer.toHexString(header.hashCode()) + ".safetensors");
        Files.write(path, file.array());
        return path;
    }

    private static byte[] lengthPrefix(long length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long countEntries(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.count();
        }
    }
}
