package io.github.bnb4j.core.functional.optim;

/** Width of optimizer state: 32-bit floats or 8-bit blockwise-quantized codes. */
public enum StateBits {
    THIRTY_TWO(32), EIGHT(8);

    private final int bits;

    StateBits(int bits) {
        this.bits = bits;
    }

    /** 32 or 8. */
    public int bits() {
        return bits;
    }

    /**
     * The width for a bit count.
     *
     * @throws IllegalArgumentException unless {@code bits} is 32 or 8
     */
    public static StateBits of(int bits) {
        return switch (bits) {
            case 32 -> THIRTY_TWO;
            case 8 -> EIGHT;
            default -> throw new IllegalArgumentException("optimBits must be 32 or 8, got " + bits);
        };
    }
}
