package io.github.bnb4j.nn.llama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.github.bnb4j.core.safetensors.SafetensorsReader;
import io.github.bnb4j.nn.hf.Fixtures;

/**
 * {@code models/tiny-llama-public/reference-outputs.safetensors}: what transformers + bitsandbytes computed for the
 * tiny Llama (see the fixtures' README): the input ids [2, 24] and, per variant, the logits [2, 24, 2048] (as f32) and
 * 16 greedy tokens after the first row.
 */
final class ReferenceOutputs {
    static final int ROWS = 2;
    static final int TOKENS = 24;
    static final int VOCAB = 2048;
    static final int GREEDY = 16;

    private ReferenceOutputs() {
    }

    /** The folder of the bf16 checkpoint. */
    static Path checkpoint() {
        return Fixtures.model("tiny-llama-public");
    }

    /** The input ids, row-major [2, 24]. */
    static long[] inputIds() {
        return longs("input_ids");
    }

    /** The input ids as rows. */
    static long[][] inputRows() {
        long[] flat = inputIds();
        long[][] rows = new long[ROWS][TOKENS];
        for (int r = 0; r < ROWS; r++) {
            System.arraycopy(flat, r * TOKENS, rows[r], 0, TOKENS);
        }
        return rows;
    }

    /** {@code <variant>.logits}, row-major [2, 24, 2048]. */
    static float[] logits(String variant) {
        try (SafetensorsReader r = SafetensorsReader.open(file())) {
            return r.readFloats(variant + ".logits");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code <variant>.greedy}: 16 tokens. */
    static long[] greedy(String variant) {
        return longs(variant + ".greedy");
    }

    private static long[] longs(String name) {
        try (SafetensorsReader r = SafetensorsReader.open(file())) {
            return r.readLongs(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path file() {
        return checkpoint().resolve("reference-outputs.safetensors");
    }
}
