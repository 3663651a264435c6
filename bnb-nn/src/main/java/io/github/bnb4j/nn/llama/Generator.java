package io.github.bnb4j.nn.llama;

import java.util.Objects;

import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.LastDimension;
import io.github.bnb4j.core.functional.transformer.Sampling;
import io.github.bnb4j.core.functional.transformer.TokenSampler;

/**
 * {@link LlamaForCausalLM#generate}: a prefill of the prompt into a cache made once for the whole generation, then
 * one decode step (T = 1) per token. The host waits for the device once per token, to read the chosen tokens; a
 * greedy token is chosen on the device and fed back from there (no upload), a sampled one is drawn on the host from
 * the row of logits and uploaded.
 */
final class Generator {
    private Generator() {
    }

    static long[][] generate(LlamaForCausalLM model, long[][] prompt, GenerationOptions options,
                             TokenListener listener) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        long[] flat = checkPrompt(model.config(), prompt, options.newTokens());
        int batch = prompt.length;
        int t = prompt[0].length;
        int vocab = model.config().vocabSize();
        long[][] out = new long[batch][options.newTokens()];
        TokenSampler sampler = new TokenSampler(options.sampling(), options.seed());
        boolean greedy = options.sampling() instanceof Sampling.Greedy;
        try (LlamaCache cache = model.newCache(batch, (long) t + options.newTokens())) {
            Tensor ids = Tensor.fromLongs(flat, model.device(), batch, t);
            try {
                for (int step = 0; step < options.newTokens(); step++) {
                    long[] tokens = null;
                    Tensor next;
                    try (Tensor logits = model.forward(ids, cache); Tensor last = lastPositions(logits, vocab)) {
                        if (greedy) {
                            next = LastDimension.argmax(last.reshape(batch, 1, vocab)); // [B, 1]: the next input
                        } else {
                            tokens = sampler.next(last);
                            next = Tensor.fromLongs(tokens, model.device(), batch, 1);
                        }
                    }
                    ids.close();
                    ids = next;
                    if (tokens == null) {
                        tokens = ids.toLongArray(); // the one wait for the device per token
                    }
                    for (int b = 0; b < batch; b++) {
                        out[b][step] = tokens[b];
                    }
                    listener.onToken(step, tokens);
                }
            } finally {
                ids.close();
            }
        }
        return out;
    }

    /** The logits of each row's last position, [B, vocab]: a view for T = 1, else a copy of B rows. */
    private static Tensor lastPositions(Tensor logits, int vocab) {
        long batch = logits.size(0);
        long t = logits.size(1);
        Tensor rows = logits.reshape(batch * t, vocab);
        if (t == 1) {
            return rows.reshape(batch, vocab);
        }
        Tensor out = Tensor.empty(logits.dtype(), logits.device(), batch, vocab);
        try {
            for (long b = 0; b < batch; b++) {
                out.narrow(b, 1).copyFrom(rows.narrow(b * t + t - 1, 1));
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** The prompt flattened row by row, after checking its shape, ids and length. */
    private static long[] checkPrompt(LlamaConfig config, long[][] prompt, int newTokens) {
        Objects.requireNonNull(prompt, "prompt");
        if (prompt.length == 0 || prompt[0] == null || prompt[0].length == 0) {
            throw new IllegalArgumentException("prompt must hold at least one row of at least one token");
        }
        int t = prompt[0].length;
        long[] flat = new long[prompt.length * t];
        for (int b = 0; b < prompt.length; b++) {
            if (prompt[b] == null || prompt[b].length != t) {
                throw new IllegalArgumentException("every prompt row must hold " + t + " tokens (no padding), row " + b
                        + " holds " + (prompt[b] == null ? "null" : prompt[b].length));
            }
            for (int i = 0; i < t; i++) {
                long id = prompt[b][i];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("prompt[" + b + "][" + i + "] = " + id + " is not a token id in"
                            + " [0, " + config.vocabSize() + ")");
                }
                flat[b * t + i] = id;
            }
        }
        if ((long) t + newTokens > config.maxPositions()) {
            throw new IllegalArgumentException("the prompt's " + t + " tokens plus " + newTokens + " new tokens exceed"
                    + " max_position_embeddings = " + config.maxPositions());
        }
        return flat;
    }
}
