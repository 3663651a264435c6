package io.github.bnb4j.nativelib;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Lists the SM architectures a CUDA shared library carries code for, without a GPU and without
 * {@code cuobjdump}: it reads the {@code .nv_fatbin} ELF section and walks the fat binary containers in it.
 * Test scope: {@code ShippedCudaLibraryTest} uses it to check that a {@code libbnb_cuda*.so} holds what
 * {@code bnb-natives.properties} claims (the loader trusts that file), and its {@link #main} serves a host
 * without {@code cuobjdump} (the GPU bundle ships the test classes).
 *
 * <p>Layout (all little-endian; checked against nvcc 13.0 output):
 * <pre>
 * container header (16 bytes): u32 magic 0xBA55ED50, u16 version, u16 header size, u64 size of the entries
 * entry header: u16 kind (1 PTX, 2 cubin), u16 version, u32 header size, u64 payload size, ...,
 *               u32 SM architecture at offset 28; the next entry follows header and payload
 * </pre>
 * Several containers follow each other in the section (nvcc emits one for its device-link step and one
 * per translation unit), possibly separated by zero padding. Payloads may be compressed (nvcc 13
 * zstd-compresses PTX), but the entry headers never are, so only headers are read.
 *
 * <p>Two things this does not tell apart, as observed with nvcc 13.0: an arch-specific cubin
 * ({@code sm_90a}) reports its base number (90), and with {@code -rdc=true} the per-file fat binaries
 * (which hold the PTX) go to {@code __nv_relfatbin}, which the driver never loads, so {@code .nv_fatbin}
 * then holds only the linked cubins and this reports no PTX, which is what the driver can use.
 */
public final class FatbinInspector {
    /** The ELF section holding the fat binaries; not to be confused with {@code .nvFatBinSegment}. */
    static final String FATBIN_SECTION = ".nv_fatbin";
    static final int FATBIN_MAGIC = 0xBA55ED50;
    static final int KIND_PTX = 1;
    static final int KIND_CUBIN = 2;
    private static final int CONTAINER_HEADER_MIN = 16;
    /** Entry headers are 64 to 112 bytes in practice (longer for sm_100+); the arch field needs the first 32. */
    private static final int ENTRY_HEADER_MIN = 32;
    private static final int ENTRY_ARCH_OFFSET = 28;

    private FatbinInspector() {
    }

    /**
     * Reads the GPU architectures in a CUDA shared library.
     *
     * @param library an ELF64 little-endian shared library
     * @return the architectures with machine code and with PTX
     * @throws IllegalArgumentException if the file is not ELF64 little-endian, has no {@code .nv_fatbin}
     *                                  section, or the section is malformed
     * @throws IOException              if the file cannot be read
     */
    public static FatbinContents inspect(Path library) throws IOException {
        try (FileChannel channel = FileChannel.open(library, StandardOpenOption.READ)) {
            ByteBuffer section = Elf64Sections.find(channel, library, FATBIN_SECTION)
                    .orElseThrow(() -> new IllegalArgumentException("library must contain a " + FATBIN_SECTION
                            + " section (CUDA device code), got " + library + " which has none"));
            return parse(section);
        }
    }

    /** Walks the containers in a {@code .nv_fatbin} section's bytes (little-endian, from position 0). */
    static FatbinContents parse(ByteBuffer section) {
        SortedSet<Integer> real = new TreeSet<>();
        SortedSet<Integer> ptx = new TreeSet<>();
        int end = section.limit();
        int pos = 0;
        while (pos < end) {
            if (section.get(pos) == 0) {
                pos++; // alignment padding between containers; the magic's first byte (0x50) is never zero
                continue;
            }
            pos = parseContainer(section, pos, end, real, ptx);
        }
        return new FatbinContents(real, ptx);
    }

    /** Parses the container at {@code start}, adds its archs, and returns where the next one may begin. */
    private static int parseContainer(ByteBuffer section, int start, int end, SortedSet<Integer> real,
            SortedSet<Integer> ptx) {
        if (end - start < CONTAINER_HEADER_MIN || section.getInt(start) != FATBIN_MAGIC) {
            throw malformed(start, "expected the fatbin magic 0xBA55ED50 followed by a 16-byte header, found "
                    + (end - start < 4 ? "the section end" : String.format("0x%08X", section.getInt(start))));
        }
        int headerSize = Short.toUnsignedInt(section.getShort(start + 6));
        long entriesSize = section.getLong(start + 8);
        if (headerSize < CONTAINER_HEADER_MIN || entriesSize < 0 || entriesSize > end - start - headerSize) {
            throw malformed(start, "container header size " + headerSize + " and entries size " + entriesSize
                    + " do not fit the " + (end - start) + " bytes left in the section");
        }
        int containerEnd = start + headerSize + (int) entriesSize;
        int entry = start + headerSize;
        while (entry < containerEnd) {
            if (isZero(section, entry, Math.min(containerEnd, entry + ENTRY_HEADER_MIN))
                    && isZero(section, entry, containerEnd)) {
                break; // trailing padding inside the container
            }
            if (containerEnd - entry < ENTRY_HEADER_MIN) {
                throw malformed(entry, "only " + (containerEnd - entry) + " bytes are left in the container, too "
                        + "few for an entry header");
            }
            long entryHeaderSize = Integer.toUnsignedLong(section.getInt(entry + 4));
            long payloadSize = section.getLong(entry + 8);
            if (entryHeaderSize < ENTRY_HEADER_MIN || payloadSize < 0
                    || entryHeaderSize + payloadSize > containerEnd - entry) {
                throw malformed(entry, "entry header size " + entryHeaderSize + " and payload size " + payloadSize
                        + " do not fit the " + (containerEnd - entry) + " bytes left in the container");
            }
            int kind = Short.toUnsignedInt(section.getShort(entry));
            int arch = section.getInt(entry + ENTRY_ARCH_OFFSET);
            if (kind == KIND_CUBIN) {
                real.add(arch);
            } else if (kind == KIND_PTX) {
                ptx.add(arch);
            } // other kinds (e.g. LTO IR) are no code a GPU can load, so they say nothing about support
            entry += (int) (entryHeaderSize + payloadSize);
        }
        return containerEnd;
    }

    private static boolean isZero(ByteBuffer bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException malformed(int offset, String why) {
        return new IllegalArgumentException(String.format("%s section must hold CUDA fat binaries, but at offset "
                + "0x%X %s", FATBIN_SECTION, offset, why));
    }

    /**
     * Prints one line per library, e.g. {@code /path/libbnb_cuda130.so real=75,80,90 ptx=120}; exits with
     * status 1 if any library could not be read and 2 without arguments.
     *
     * @param args paths of shared libraries
     */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** {@link #main} without the exit, for tests. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: java " + FatbinInspector.class.getName() + " LIBRARY.so...");
            return 2;
        }
        int status = 0;
        for (String arg : args) {
            try {
                out.println(arg + " " + inspect(Path.of(arg)));
            } catch (IOException | IllegalArgumentException e) {
                err.println(arg + ": " + e.getMessage());
                status = 1;
            }
        }
        return status;
    }
}
