package io.github.bnb4j.nativelib;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds one section of an ELF64 little-endian file by name: just enough ELF for {@link FatbinInspector}.
 * Only the headers are read; the section itself is memory-mapped, since CUDA libraries can be hundreds of
 * megabytes of mostly fat binary.
 */
final class Elf64Sections {
    private static final int ELF_HEADER_SIZE = 64;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int ELFCLASS64 = 2;
    private static final int ELFDATA2LSB = 1;
    private static final int SHT_NOBITS = 8;
    /** e_shstrndx value meaning "the real index is in section 0's sh_link". */
    private static final int SHN_XINDEX = 0xffff;
    /** Far above any real library; guards against reading a huge table from a corrupt header. */
    private static final long MAX_SECTIONS = 1 << 20;

    private Elf64Sections() {
    }

    /**
     * Returns the named section's bytes (little-endian, position 0), or empty when the file has no such
     * section or no section headers at all.
     *
     * @throws IllegalArgumentException if the file is not ELF64 little-endian or its headers are corrupt
     */
    static Optional<ByteBuffer> find(FileChannel channel, Path path, String sectionName) throws IOException {
        long fileSize = channel.size();
        if (fileSize < ELF_HEADER_SIZE) {
            throw notElf64(path, "only " + fileSize + " bytes");
        }
        ByteBuffer header = readAt(channel, 0, ELF_HEADER_SIZE);
        if (header.getInt(0) != 0x464C457F) { // "\x7fELF" read little-endian
            throw notElf64(path, "no ELF magic");
        }
        if (header.get(4) != ELFCLASS64 || header.get(5) != ELFDATA2LSB) {
            throw notElf64(path, "ELF class " + header.get(4) + ", data encoding " + header.get(5)
                    + "; expected 2 (64-bit) and 1 (little-endian)");
        }
        long tableOffset = header.getLong(0x28);
        int entrySize = Short.toUnsignedInt(header.getShort(0x3A));
        long count = Short.toUnsignedInt(header.getShort(0x3C));
        int namesIndex = Short.toUnsignedInt(header.getShort(0x3E));
        if (tableOffset == 0) {
            return Optional.empty(); // a file without section headers has no named sections
        }
        if (entrySize < SECTION_HEADER_SIZE) {
            throw corrupt(path, "section header size " + entrySize + " is below " + SECTION_HEADER_SIZE);
        }
        if (count == 0 || namesIndex == SHN_XINDEX) {
            // Extended numbering for files with 0xff00 or more sections: the real values live in section 0.
            ByteBuffer first = readAt(channel, checkedRange(path, tableOffset, entrySize, fileSize), entrySize);
            count = count == 0 ? first.getLong(32) : count;
            namesIndex = namesIndex == SHN_XINDEX ? first.getInt(40) : namesIndex;
        }
        if (count > MAX_SECTIONS || namesIndex < 0 || namesIndex >= count) {
            throw corrupt(path, count + " sections with names in section " + namesIndex);
        }
        int tableSize = Math.toIntExact(count * entrySize);
        ByteBuffer table = readAt(channel, checkedRange(path, tableOffset, tableSize, fileSize), tableSize);
        ByteBuffer names = sectionBytes(channel, path, table, namesIndex * entrySize, fileSize);
        byte[] wanted = (sectionName + "\0").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < count; i++) {
            int at = i * entrySize;
            if (nameMatches(names, table.getInt(at), wanted)) {
                if (table.getInt(at + 4) == SHT_NOBITS) {
                    return Optional.of(ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN));
                }
                return Optional.of(sectionBytes(channel, path, table, at, fileSize));
            }
        }
        return Optional.empty();
    }

    private static ByteBuffer sectionBytes(FileChannel channel, Path path, ByteBuffer table, int at, long fileSize)
            throws IOException {
        long offset = table.getLong(at + 24);
        long size = table.getLong(at + 32);
        if (size > Integer.MAX_VALUE) {
            throw corrupt(path, "a section of " + size + " bytes");
        }
        checkedRange(path, offset, size, fileSize);
        return channel.map(FileChannel.MapMode.READ_ONLY, offset, size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean nameMatches(ByteBuffer names, int nameOffset, byte[] wanted) {
        if (nameOffset < 0 || nameOffset > names.limit() - wanted.length) {
            return false;
        }
        for (int i = 0; i < wanted.length; i++) {
            if (names.get(nameOffset + i) != wanted[i]) {
                return false;
            }
        }
        return true;
    }

    private static long checkedRange(Path path, long offset, long length, long fileSize) {
        if (offset < 0 || length < 0 || offset > fileSize - length) {
            throw corrupt(path, "bytes " + offset + " + " + length + " lie outside the file of " + fileSize + " bytes");
        }
        return offset;
    }

    private static ByteBuffer readAt(FileChannel channel, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, offset + buffer.position()) < 0) {
                throw new EOFException("file ended at byte " + (offset + buffer.position()));
            }
        }
        return buffer.flip();
    }

    private static IllegalArgumentException notElf64(Path path, String why) {
        return new IllegalArgumentException("path must be an ELF64 little-endian shared library, got " + path
                + " (" + why + ")");
    }

    private static IllegalArgumentException corrupt(Path path, String why) {
        return new IllegalArgumentException("path must be a well-formed ELF64 file, got " + path
                + " whose section headers are corrupt: " + why);
    }
}
