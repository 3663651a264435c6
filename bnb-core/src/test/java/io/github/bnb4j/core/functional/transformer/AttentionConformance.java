package io.github.bnb4j.core.functional.transformer;

import static io.github.bnb4j.core.functional.transformer.TransformerReference.assertClose;
import static io.github.bnb4j.core.functional.transformer.TransformerReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Attention} and {@link KvCache} against a double-precision causal grouped-query attention, on every backend
 * (see the subclasses): prompts without a cache, prefill then decode steps through the cache (long enough for the
 * GPU's split path), GQA groups 1, 2 and 4, head dims 1, 3, 64, 96 and 128, batch 1 and 2.
 */
abstract class AttentionConformance extends BackendConformance {
    private static final int LONGEST_CHECKED_PROMPT = 64;
    /** batch, T, queryHeads, kvHeads, headDim. */
    private static final int[][] PROMPTS = {{1, 1, 1, 1, 1}, {1, 5, 4, 2, 64}, {2, 3, 4, 1, 3}, {1, 7, 8, 8, 128},
        {1, 4, 6, 3, 96}, {2, 9, 8, 2, 64}};

    static Stream<Arguments> prompts() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(PROMPTS)
                .map(c -> Arguments.of(t, c[0], c[1], c[2], c[3], c[4])));
    }

    @ParameterizedTest(name = "{0} batch{1} T{2} hq{3} hkv{4} d{5}")
    @MethodSource("prompts")
    void promptAttentionIsCausal(DType t, int batch, int tokens, int hq, int hkv, int d) {
        float[] q = gaussian(batch * tokens * hq * d, t, tokens * 7L + d, 1);
        float[] k = gaussian(batch * tokens * hkv * d, t, tokens * 11L + d, 1);
        float[] v = gaussian(batch * tokens * hkv * d, t, tokens * 13L + d, 1);

        Tensor out = Attention.causal(Tensor.fromFloats(q, t, device(), batch, tokens, hq, d),
                Tensor.fromFloats(k, t, device(), batch, tokens, hkv, d),
                Tensor.fromFloats(v, t, device(), batch, tokens, hkv, d), new AttentionHeads(hq, hkv, d));

        double[][] want = TransformerReference.attention(q, k, v, batch, tokens, hq, hkv, d, tokens, tokens);
        assertClose(want[0], want[1], out.toFloatArray(), t, "attention");
    }

    static Stream<Arguments> decodes() {
        // dtype, batch, queryHeads, kvHeads, headDim, prompt, steps
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(
                Arguments.of(t, 1, 32, 32, 128, 32, 3),
                Arguments.of(t, 1, 8, 2, 64, 1100, 2),
                Arguments.of(t, 2, 4, 1, 128, 17, 2),
                Arguments.of(t, 1, 2, 2, 3, 1, 4)));
    }

    @ParameterizedTest(name = "{0} batch{1} hq{2} hkv{3} d{4} prompt{5} steps{6}")
    @MethodSource("decodes")
    void decodeStepsAttendToTheCache(DType t, int batch, int hq, int hkv, int d, int prompt, int steps) {
        AttentionHeads heads = new AttentionHeads(hq, hkv, d);
        int positions = prompt + steps;
        float[] q = gaussian(batch * positions * hq * d, t, 1, 1);
        float[] k = gaussian(batch * positions * hkv * d, t, 2, 1);
        float[] v = gaussian(batch * positions * hkv * d, t, 3, 1);
        try (KvCache cache = KvCache.create(2, batch, positions + 5, heads, t, device())) {
            int at = 0;
            for (int block : blocks(prompt, steps)) {
                cache.append(1, slice(k, batch, positions, at, block, hkv, d, t),
                        slice(v, batch, positions, at, block, hkv, d, t));
                at += block;
                assertEquals(at, cache.length(1));
                assertEquals(0, cache.length(0));
                if (block > LONGEST_CHECKED_PROMPT) {
                    continue; // a long prompt fills the cache for the decode steps; its own reference is too slow
                }
                Tensor out = Attention.causal(slice(q, batch, positions, at - block, block, hq, d, t), cache, 1);

                float[] qs = rows(q, batch, positions, at - block, block, hq * d);
                float[] ks = rows(k, batch, positions, 0, at, hkv * d);
                float[] vs = rows(v, batch, positions, 0, at, hkv * d);
                double[][] want = TransformerReference.attention(qs, ks, vs, batch, block, hq, hkv, d, at, at);
                assertClose(want[0], want[1], out.toFloatArray(), t, "attention at length " + at);
            }
        }
    }

    @Test
    void theCacheGivesThePromptResultWithoutOne() {
        DType t = DType.BF16;
        AttentionHeads heads = new AttentionHeads(4, 2, 64);
        float[] q = gaussian(6 * 4 * 64, t, 4, 1);
        float[] k = gaussian(6 * 2 * 64, t, 5, 1);
        float[] v = gaussian(6 * 2 * 64, t, 6, 1);
        Tensor qt = Tensor.fromFloats(q, t, device(), 1, 6, 4, 64);
        Tensor kt = Tensor.fromFloats(k, t, device(), 1, 6, 2, 64);
        Tensor vt = Tensor.fromFloats(v, t, device(), 1, 6, 2, 64);
        try (KvCache cache = KvCache.create(1, 1, 64, heads, t, device())) {
            cache.append(0, kt, vt);
            Tensor out = Tensor.zeros(t, device(), 1, 6, 4, 64);
            Attention.causalInto(qt, cache, 0, out);
            assertArrayEquals(Attention.causal(qt, kt, vt, heads).toShortArray(), out.toShortArray());
        }
    }

    @Test
    void rejectsBadInputWritingNothing() {
        AttentionHeads heads = new AttentionHeads(4, 2, 8);
        assertThrows(IllegalArgumentException.class, () -> new AttentionHeads(3, 2, 8));
        assertThrows(IllegalArgumentException.class, () -> new AttentionHeads(4, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> new AttentionHeads(4, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> KvCache.create(0, 1, 8, heads, DType.F32, device()));
        assertThrows(IllegalArgumentException.class, () -> KvCache.create(1, 1, 0, heads, DType.F32, device()));
        assertThrows(UnsupportedOperationException.class, () -> KvCache.create(1, 1, 8, heads, DType.I8, device()));
        try (KvCache cache = KvCache.create(2, 1, 4, heads, DType.F32, device())) {
            Tensor k3 = Tensor.zeros(DType.F32, device(), 1, 3, 2, 8);
            cache.append(0, k3, k3);
            assertThrows(IllegalArgumentException.class, () -> cache.append(0, k3, k3), "beyond maxPositions");
            assertThrows(IllegalArgumentException.class,
                    () -> cache.append(1, k3, Tensor.zeros(DType.F32, device(), 1, 2, 2, 8)));
            assertThrows(IllegalArgumentException.class,
                    () -> cache.append(1, Tensor.zeros(DType.F16, device(), 1, 3, 2, 8), k3));
            assertThrows(IndexOutOfBoundsException.class, () -> cache.append(2, k3, k3));
            Tensor closed = Tensor.zeros(DType.F32, device(), 1, 1, 2, 8);
            closed.close();
            assertThrows(IllegalStateException.class, () -> cache.append(1, Tensor.zeros(DType.F32, device(), 1, 1, 2,
                    8), closed));
            assertEquals(3, cache.length(0));
            assertEquals(0, cache.length(1), "nothing appended after the failures");

            Tensor out = Tensor.fromFloats(fill(4 * 4 * 8, 5f), DType.F32, device(), 1, 4, 4, 8);
            Tensor q4 = Tensor.zeros(DType.F32, device(), 1, 4, 4, 8);
            assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(q4, cache, 0, out), "T > length");
            assertThrows(IllegalArgumentException.class, () -> Attention.causalInto(
                    Tensor.zeros(DType.F32, device(), 1, 1, 2, 8), cache, 0, out.narrow(0, 1)), "heads");
            assertThrows(IllegalArgumentException.class, () -> Attention.causal(
                    Tensor.zeros(DType.F16, device(), 1, 1, 4, 8), cache, 0), "dtype");
            assertArrayEquals(fill(4 * 4 * 8, 5f), out.toFloatArray(), "out after the failures");
            cache.reset();
            assertEquals(0, cache.length(0));
        }
        assertThrows(IllegalArgumentException.class, () -> Attention.causal(Tensor.zeros(DType.F32, device(), 1, 2, 4,
                8), Tensor.zeros(DType.F32, device(), 1, 3, 2, 8), Tensor.zeros(DType.F32, device(), 1, 3, 2, 8),
                heads));
        AttentionHeads wide = new AttentionHeads(1, 1, 258);
        Tensor x = Tensor.zeros(DType.F32, device(), 1, 1, 1, 258);
        if (device().isCuda()) {
            assertThrows(UnsupportedOperationException.class, () -> Attention.causal(x, x, x, wide));
        } else {
            Tensor ones = Tensor.fromFloats(fill(258, 1f), DType.F32, device(), 1, 1, 1, 258);
            assertArrayEquals(fill(258, 1f), Attention.causal(x, x, ones, wide).toFloatArray(), "one key: v itself");
        }
    }

    /** A prompt, then single-token steps. */
    private static int[] blocks(int prompt, int steps) {
        int[] b = new int[steps + 1];
        Arrays.fill(b, 1);
        b[0] = prompt;
        return b;
    }

    /** Positions [at, at + count) of every batch row of x [batch, positions, heads, d], as [batch, count, heads, d]. */
    private Tensor slice(float[] x, int batch, int positions, int at, int count, int heads, int d, DType t) {
        return Tensor.fromFloats(rows(x, batch, positions, at, count, heads * d), t, device(), batch, count, heads, d);
    }

    private static float[] rows(float[] x, int batch, int positions, int at, int count, int width) {
        float[] part = new float[batch * count * width];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x, (b * positions + at) * width, part, b * count * width, count * width);
        }
        return part;
    }

    private static float[] fill(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
