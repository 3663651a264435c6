package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/** Number of consecutive elements that share one absmax scale in blockwise quantization. */
public enum Blocksize {
    B32(32), B64(64), B128(128), B256(256), B512(512), B1024(1024), B2048(2048), B4096(4096);

    /** The sizes 8-bit blockwise quantization accepts (upstream's CUDA set). */
    public static final Set<Blocksize> EIGHT_BIT = EnumSet.range(B64, B4096);

    private final int value;

    Blocksize(int value) {
        this.value = value;
    }

    /** Elements per block. */
    public int value() {
        return value;
    }

    /** Number of blocks covering {@code n} elements: ceil(n / value). */
    public long blocks(long n) {
        return (n + value - 1) / value;
    }

    /**
     * The enum constant for an element count.
     *
     * @throws IllegalArgumentException if {@code value} is not one of 32, 64, ..., 4096
     */
    public static Blocksize of(int value) {
        for (Blocksize b : values()) {
            if (b.value == value) {
                return b;
            }
        }
        throw new IllegalArgumentException("blocksize must be one of "
                + Arrays.toString(Arrays.stream(values()).mapToInt(Blocksize::value).toArray()) + ", got " + value);
    }

    /**
     * Checks that this size is in {@code allowed}.
     *
     * @throws IllegalArgumentException naming the allowed sizes otherwise
     */
    void require(Set<Blocksize> allowed, String op) {
        if (!allowed.contains(this)) {
            throw new IllegalArgumentException(op + ": blocksize must be one of "
                    + Arrays.toString(allowed.stream().mapToInt(Blocksize::value).toArray()) + ", got " + value);
        }
    }
}
