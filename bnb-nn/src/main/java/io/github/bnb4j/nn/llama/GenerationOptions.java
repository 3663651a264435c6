package io.github.bnb4j.nn.llama;

import java.util.Objects;

import io.github.bnb4j.core.functional.transformer.Sampling;

/**
 * What {@link LlamaForCausalLM#generate} produces (transformers' {@code generate(max_new_tokens=, do_sample=,
 * temperature=, top_p=)}, without stopping at an end-of-sequence token).
 *
 * @param newTokens tokens to generate after the prompt, &gt;= 1
 * @param sampling  greedy, or temperature and top-p sampling
 * @param seed      the seed of the sampling's random numbers (greedy draws none)
 */
public record GenerationOptions(int newTokens, Sampling sampling, long seed) {
    /** @throws IllegalArgumentException if newTokens &lt; 1 */
    public GenerationOptions {
        Objects.requireNonNull(sampling, "sampling");
        if (newTokens < 1) {
            throw new IllegalArgumentException("newTokens must be >= 1, got " + newTokens);
        }
    }

    /** Greedy decoding of {@code newTokens} tokens. */
    public static GenerationOptions greedy(int newTokens) {
        return new GenerationOptions(newTokens, new Sampling.Greedy(), 0);
    }
}
