package io.github.bnb4j.core.functional.nn;

/** Whether an op that writes into a caller's tensor replaces its contents or adds to them (gradients). */
public enum Accumulation {
    /** {@code out = result}. */
    OVERWRITE,
    /** {@code out = out + result}, the sum rounded once to out's dtype. */
    ADD
}
