package io.github.bnb4j.core.functional.transformer;

/**
 * How the next token is chosen from a row of logits: {@link Greedy} (the argmax, on the device) or
 * {@link Nucleus} (temperature and top-p sampling, as transformers' {@code generate(do_sample=True)} with its
 * {@code TemperatureLogitsWarper} and {@code TopPLogitsWarper}). A {@link TokenSampler} applies it.
 */
public sealed interface Sampling {
    /** The most likely token: {@link LastDimension#argmax}. */
    record Greedy() implements Sampling {
    }

    /**
     * Sampling from the smallest set of most likely tokens whose probability reaches {@code topP}, after dividing
     * the logits by {@code temperature}.
     *
     * @param temperature finite, &gt; 0 (1: the model's distribution; smaller: sharper)
     * @param topP        in (0, 1] (1: every token)
     */
    record Nucleus(double temperature, double topP) implements Sampling {
        /** @throws IllegalArgumentException if temperature or topP is out of range */
        public Nucleus {
            if (!Double.isFinite(temperature) || !(temperature > 0)) {
                throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
            }
        }
    }
}
