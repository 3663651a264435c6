package io.github.bnb4j.optim;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * What a named class of a family fixes: the state width ({@code Adam8bit}, {@code Adam32bit}) and paging
 * ({@code PagedAdam}); {@code Adam} itself fixes neither.
 */
enum Variant {
    STANDARD(null, false),
    THIRTY_TWO_BIT(StateBits.THIRTY_TWO, false),
    EIGHT_BIT(StateBits.EIGHT, false),
    PAGED(null, true),
    PAGED_THIRTY_TWO_BIT(StateBits.THIRTY_TWO, true),
    PAGED_EIGHT_BIT(StateBits.EIGHT, true);

    private final StateBits fixedBits;
    private final boolean paged;

    Variant(StateBits fixedBits, boolean paged) {
        this.fixedBits = fixedBits;
        this.paged = paged;
    }

    /** The width the class always uses, or null when {@code optimBits} is an argument. */
    StateBits fixedBits() {
        return fixedBits;
    }

    boolean paged() {
        return paged;
    }

    boolean isEightBit() {
        return fixedBits == StateBits.EIGHT;
    }
}
