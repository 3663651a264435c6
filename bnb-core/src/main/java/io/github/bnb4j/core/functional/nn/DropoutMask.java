package io.github.bnb4j.core.functional.nn;

/**
 * Names one dropout mask: the drop probability and the Philox4x32-10 stream it is drawn from. Element i of a
 * tensor is kept when {@code (w >> 8) >= round(p · 2^24)}, where w is word {@code i % 4} of Philox4x32-10 with key
 * {@code seed} (low, high 32-bit words) and counter {@code offset + i / 4} (low, high words, then 0, 0); kept
 * elements are scaled by {@code 1 / (1 - p)} (an f32), dropped ones are 0. The same mask on every backend, bit for
 * bit, so a forward on the GPU and its backward on the CPU (or a test) agree.
 *
 * @param p      the drop probability, in [0, 1] (1 drops everything)
 * @param seed   any 64-bit value
 * @param offset the first Philox counter, any 64-bit value (unsigned)
 */
public record DropoutMask(float p, long seed, long offset) {
    /** @throws IllegalArgumentException if p is not in [0, 1] (NaN included) */
    public DropoutMask {
        if (!(p >= 0f && p <= 1f)) {
            throw new IllegalArgumentException("p must be in [0, 1], got " + p);
        }
    }

    /**
     * The mask after this one for a tensor of {@code numel} elements: the same p and seed, the offset advanced past
     * the {@code ceil(numel / 4)} counters this mask uses on it, so successive masks never share random words.
     *
     * @throws IllegalArgumentException if numel is negative
     */
    public DropoutMask next(long numel) {
        if (numel < 0) {
            throw new IllegalArgumentException("numel must be >= 0, got " + numel);
        }
        return new DropoutMask(p, seed, offset + (numel / 4 + (numel % 4 != 0 ? 1 : 0)));
    }
}
