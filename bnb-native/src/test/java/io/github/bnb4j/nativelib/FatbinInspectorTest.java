package io.github.bnb4j.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FatbinInspectorTest {

    private static final Path NVCC = Path.of("/usr/local/cuda/bin/nvcc");

    @TempDir
    Path dir;

    @Test
    void readsTheArchsNvccWasAskedFor() throws Exception {
        assumeTrue(Files.isExecutable(NVCC), "needs " + NVCC);
        Path source = Files.writeString(dir.resolve("k.cu"), "__global__ void k(float* a) { a[0] = 1; }\n");
        Path library = dir.resolve("libk.so");
        Process nvcc = new ProcessBuilder(NVCC.toString(), "-shared", "-Xcompiler", "-fPIC",
                "-gencode", "arch=compute_75,code=sm_75",
                "-gencode", "arch=compute_90,code=sm_90",
                "-gencode", "arch=compute_120,code=compute_120",
                "-o", library.toString(), source.toString())
                .redirectErrorStream(true).start();
        String log = new String(nvcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(nvcc.waitFor(5, TimeUnit.MINUTES), "nvcc did not finish");
        assertEquals(0, nvcc.exitValue(), log);

        FatbinContents contents = FatbinInspector.inspect(library);

        assertEquals(Set.of(75, 90), contents.realArchs());
        assertEquals(Set.of(120), contents.ptxArchs());
        assertEquals(library + " real=75,90 ptx=120\n", runMain(library.toString()).out);
    }

    @Test
    void walksSeveralContainersWithPaddingAndSkipsUnknownKinds() throws IOException {
        byte[] fatbins = concat(
                container(entry(2, 75, 64, 100), entry(2, 90, 64, 40)),
                new byte[8], // padding between containers
                container(entry(2, 80, 64, 16), entry(8, 100, 64, 24) /* LTO IR: no loadable code */,
                        entry(1, 120, 80, 33), new byte[16] /* padding inside the container */));
        Path library = TinyElf.write(dir.resolve("libsynthetic.so"), ".nv_fatbin", fatbins);

        FatbinContents contents = FatbinInspector.inspect(library);

        assertEquals(new TreeSet<>(List.of(75, 80, 90)), contents.realArchs());
        assertEquals(Set.of(120), contents.ptxArchs());
        assertEquals("real=75,80,90 ptx=120", contents.toString());
    }

    @Test
    void anEmptySectionHoldsNoArchs() throws IOException {
        Path library = TinyElf.write(dir.resolve("libempty.so"), ".nv_fatbin", new byte[0]);
        assertEquals(new FatbinContents(new TreeSet<>(), new TreeSet<>()), FatbinInspector.inspect(library));
    }

    @Test
    void rejectsBytesThatAreNoFatbinContainer() throws IOException {
        byte[] garbage = concat(container(entry(2, 75, 64, 8)), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Path library = TinyElf.write(dir.resolve("libbad.so"), ".nv_fatbin", garbage);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinInspector.inspect(library));
        assertTrue(e.getMessage().contains("0xBA55ED50") && e.getMessage().contains("0x04030201"), e.getMessage());
    }

    @Test
    void rejectsAnEntryLargerThanItsContainer() throws IOException {
        byte[] container = container(entry(2, 75, 64, 8));
        ByteBuffer.wrap(container).order(ByteOrder.LITTLE_ENDIAN).putLong(16 + 8, 1_000_000); // payload size
        Path library = TinyElf.write(dir.resolve("libbad.so"), ".nv_fatbin", container);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinInspector.inspect(library));
        assertTrue(e.getMessage().contains("payload size 1000000"), e.getMessage());
    }

    @Test
    void rejectsAFileThatIsNotElf() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "this is not a shared library, just some text\n"
                + "long enough to fill an ELF header of sixty-four bytes.\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FatbinInspector.inspect(text));
        assertTrue(e.getMessage().contains("ELF64") && e.getMessage().contains("no ELF magic"), e.getMessage());
    }

    @Test
    void rejectsAnEmptyFile() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.so"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinInspector.inspect(empty));
        assertTrue(e.getMessage().contains("only 0 bytes"), e.getMessage());
    }

    @Test
    void rejectsA32BitElf() throws IOException {
        byte[] header = new byte[64];
        System.arraycopy(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1}, 0, header, 0, 7);
        Path elf32 = Files.write(dir.resolve("lib32.so"), header);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinInspector.inspect(elf32));
        assertTrue(e.getMessage().contains("expected 2 (64-bit)"), e.getMessage());
    }

    @Test
    void rejectsAnElfWithoutDeviceCode() {
        Path libjava = Path.of(System.getProperty("java.home"), "lib", "libjava.so");
        assumeTrue(Files.isRegularFile(libjava), "needs the JDK's " + libjava);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FatbinInspector.inspect(libjava));
        assertEquals("library must contain a .nv_fatbin section (CUDA device code), got " + libjava
                + " which has none", e.getMessage());
    }

    @Test
    void mainReportsUnreadableFilesAndMissingArguments() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        Result bad = runMain(text.toString());
        assertEquals(1, bad.status);
        assertTrue(bad.err.startsWith(text + ": path must be an ELF64"), bad.err);
        assertEquals(2, runMain().status);
    }

    private record Result(int status, String out, String err) {
    }

    private static Result runMain(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = FatbinInspector.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A fatbin container: the 16-byte header, then the entries. */
    private static byte[] container(byte[]... entries) {
        byte[] body = concat(entries);
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(FatbinInspector.FATBIN_MAGIC).putShort((short) 1).putShort((short) 16).putLong(body.length);
        return concat(header.array(), body);
    }

    /** A fatbin entry as nvcc writes it: kind, version 0x0101, sizes, arch at offset 28, then a payload. */
    private static byte[] entry(int kind, int arch, int headerSize, int payloadSize) {
        ByteBuffer entry = ByteBuffer.allocate(headerSize + payloadSize).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) kind).putShort((short) 0x0101).putInt(headerSize).putLong(payloadSize);
        entry.putInt(28, arch);
        for (int i = headerSize; i < headerSize + payloadSize; i++) {
            entry.put(i, (byte) 0xAB);
        }
        return entry.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
