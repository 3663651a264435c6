package io.github.bnb4j.nn.llama;

/** Receives the tokens of a generation as they come (streaming). */
@FunctionalInterface
public interface TokenListener {
    /** Ignores every token. */
    TokenListener NONE = (step, tokens) -> { };

    /**
     * Called once per generated position.
     *
     * @param step   0 for the first new token
     * @param tokens the new token of each row of the batch (the array is the listener's to keep)
     */
    void onToken(int step, long[] tokens);
}
