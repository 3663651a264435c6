package io.github.bnb4j.core.functional.transformer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import io.github.bnb4j.core.Tensor;

/**
 * Chooses next tokens from logits by a {@link Sampling} rule, deterministically for a given seed: the same seed,
 * logits and calls give the same tokens on every backend and run.
 *
 * <p>{@link Sampling.Greedy} runs {@link LastDimension#argmax} on the logits' device and copies back one index
 * per row. {@link Sampling.Nucleus} copies each row of logits to the host (a vocabulary of 32000 is 64 KB in
 * bf16, a few microseconds) and there, in double precision: divides by the temperature, takes the softmax, keeps
 * the tokens transformers' {@code TopPLogitsWarper} keeps (sorted ascending by probability, those whose cumulative
 * probability exceeds {@code 1 − topP}, and always the most likely one), renormalises them and draws one with a
 * uniform number from a {@link SplittableRandom} seeded once. Not thread-safe: one sampler per generation.
 */
public final class TokenSampler {
    private final Sampling sampling;
    private final SplittableRandom random;

    /**
     * @param sampling the rule
     * @param seed     the seed of the random numbers ({@link Sampling.Greedy} draws none)
     * @throws NullPointerException if sampling is null
     */
    public TokenSampler(Sampling sampling, long seed) {
        this.sampling = Objects.requireNonNull(sampling, "sampling");
        this.random = new SplittableRandom(seed);
    }

    /** The rule. */
    public Sampling sampling() {
        return sampling;
    }

    /**
     * The next token of each row of logits.
     *
     * @param logits F32, F16 or BF16 [vocab] (one row) or [rows, vocab], vocab &gt;= 1, on any device
     * @return one token index per row
     * @throws NullPointerException          if logits is null
     * @throws IllegalArgumentException      if logits is not [vocab] or [rows, vocab] with vocab &gt;= 1
     * @throws UnsupportedOperationException if the dtype is not F32, F16 or BF16
     * @throws IllegalStateException         if logits is closed
     */
    public long[] next(Tensor logits) {
        TransformerChecks.requireFloat(logits, "logits", "sampling");
        long vocab = TransformerChecks.lastDimension(logits, "logits");
        if (logits.rank() > 2) {
            throw new IllegalArgumentException("logits must be [vocab] or [rows, vocab], got " + logits);
        }
        if (sampling instanceof Sampling.Greedy) {
            try (Tensor index = LastDimension.argmax(logits)) {
                return index.toLongArray();
            }
        }
        Sampling.Nucleus nucleus = (Sampling.Nucleus) sampling;
        float[] values = logits.toFloatArray();
        int n = Math.toIntExact(vocab);
        long[] tokens = new long[values.length / n];
        for (int r = 0; r < tokens.length; r++) {
            tokens[r] = draw(Arrays.copyOfRange(values, r * n, (r + 1) * n), nucleus);
        }
        return tokens;
    }

    private int draw(float[] logits, Sampling.Nucleus nucleus) {
        int n = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v / nucleus.temperature());
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(logits[i] / nucleus.temperature() - max);
            sum += p[i];
        }
        // Ascending probability, ties by descending index, so that the descending walk below meets lower indices first.
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> p[i]).thenComparing(i -> -i));
        double cumulative = 0;
        int firstKept = n - 1; // the most likely token is always kept
        for (int k = 0; k < n - 1; k++) {
            cumulative += p[order[k]] / sum;
            if (cumulative > 1 - nucleus.topP()) {
                firstKept = k;
                break;
            }
        }
        double kept = 0;
        for (int k = firstKept; k < n; k++) {
            kept += p[order[k]];
        }
        double u = random.nextDouble() * kept;
        for (int k = n - 1; k > firstKept; k--) {
            u -= p[order[k]];
            if (u < 0) {
                return order[k];
            }
        }
        return order[firstKept];
    }
}
