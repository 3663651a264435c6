package io.github.bnb4j.nativelib;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the smallest ELF64 file {@link Elf64Sections} accepts: the header, a section-name table and one
 * named section, so fat binary parsing can be tested on any machine, without nvcc.
 */
final class TinyElf {
    private static final int HEADER_SIZE = 64;
    private static final int SECTION_HEADER_SIZE = 64;
    private static final int SHT_PROGBITS = 1;
    private static final int SHT_STRTAB = 3;

    private TinyElf() {
    }

    /** Writes sections [null, .shstrtab, name] with {@code content} as the last one's bytes. */
    static Path write(Path file, String name, byte[] content) throws IOException {
        byte[] names = ("\0.shstrtab\0" + name + "\0").getBytes(StandardCharsets.US_ASCII);
        int namesOffset = HEADER_SIZE;
        int contentOffset = align8(namesOffset + names.length);
        int tableOffset = align8(contentOffset + content.length);
        ByteBuffer elf = ByteBuffer.allocate(tableOffset + 3 * SECTION_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        elf.putShort(0x10, (short) 3); // ET_DYN, like a shared library
        elf.putShort(0x12, (short) 62); // EM_X86_64
        elf.putInt(0x14, 1);
        elf.putLong(0x28, tableOffset);
        elf.putShort(0x34, (short) HEADER_SIZE);
        elf.putShort(0x3A, (short) SECTION_HEADER_SIZE);
        elf.putShort(0x3C, (short) 3);
        elf.putShort(0x3E, (short) 1);
        elf.put(namesOffset, names);
        elf.put(contentOffset, content);
        sectionHeader(elf, tableOffset + SECTION_HEADER_SIZE, 1, SHT_STRTAB, namesOffset, names.length);
        sectionHeader(elf, tableOffset + 2 * SECTION_HEADER_SIZE, 11, SHT_PROGBITS, contentOffset, content.length);
        return Files.write(file, elf.array());
    }

    private static void sectionHeader(ByteBuffer elf, int at, int nameOffset, int type, long offset, long size) {
        elf.putInt(at, nameOffset);
        elf.putInt(at + 4, type);
        elf.putLong(at + 24, offset);
        elf.putLong(at + 32, size);
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
