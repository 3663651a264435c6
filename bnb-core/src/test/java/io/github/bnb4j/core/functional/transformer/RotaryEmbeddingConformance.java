package io.github.bnb4j.core.functional.transformer;

import static io.github.bnb4j.core.functional.transformer.TransformerReference.assertClose;
import static io.github.bnb4j.core.functional.transformer.TransformerReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RotaryEmbedding} against a double-precision rotate_half RoPE, on every backend (see the subclasses). */
abstract class RotaryEmbeddingConformance extends BackendConformance {
    /** batch, T, heads, d, start. */
    private static final int[][] CASES = {{1, 1, 1, 2, 0}, {1, 3, 32, 128, 95}, {2, 5, 3, 64, 4000}, {1, 4, 2, 6, 7},
        {2, 32, 8, 128, 0}, {1, 1, 4, 128, 1 << 20}};

    static Stream<Arguments> cases() {
        return Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t -> Stream.of(CASES)
                .map(c -> Arguments.of(t, c[0], c[1], c[2], c[3], c[4])));
    }

    @ParameterizedTest(name = "{0} batch{1} T{2} heads{3} d{4} start{5}")
    @MethodSource("cases")
    void rotatesHalvesAsTransformers(DType t, int batch, int tokens, int heads, int d, int start) {
        float[] x = gaussian(batch * tokens * heads * d, t, tokens * 131L + d + start, 1);
        try (RotaryEmbedding rope = RotaryEmbedding.create(d, 10000, device())) {
            Tensor out = rope.apply(Tensor.fromFloats(x, t, device(), batch, tokens, heads, d), start);

            double[][] want = TransformerReference.rope(x, RotaryEmbedding.inverseFrequencies(d, 10000), batch, tokens,
                    heads, d, start, t);
            assertClose(want[0], want[1], out.toFloatArray(), t, "rope");
        }
    }

    @Test
    void inverseFrequenciesAreTransformersF32Values() {
        float[] inv = RotaryEmbedding.inverseFrequencies(8, 10000);
        assertEquals(4, inv.length);
        for (int i = 0; i < 4; i++) {
            float exponent = (float) (2 * i) / 8f;
            assertEquals(1.0f / (float) Math.pow(10000, exponent), inv[i], 0f, "inv_freq[" + i + "]");
        }
        assertArrayEquals(new float[] {1.0f, 0.1f, 0.01f, 0.001f}, inv, 1e-9f);
        float[] llama3 = RotaryEmbedding.inverseFrequencies(128, 500000);
        assertEquals(1.0f, llama3[0], 0f);
        assertEquals(Math.pow(500000, -126.0 / 128), llama3[63], 3e-7 * llama3[63]);
    }

    @Test
    void positionZeroIsTheIdentityAndInPlaceMatches() {
        DType t = DType.BF16;
        float[] x = gaussian(3 * 4 * 64, t, 9, 1);
        try (RotaryEmbedding rope = RotaryEmbedding.create(64, 500000, device())) {
            Tensor first = rope.apply(Tensor.fromFloats(x, t, device(), 1, 1, 12, 64), 0);
            assertArrayEquals(Tensor.fromFloats(x, t, device(), 1, 1, 12, 64).toShortArray(), first.toShortArray(),
                    "cos 0 = 1, sin 0 = 0");

            Tensor separate = rope.apply(Tensor.fromFloats(x, t, device(), 1, 3, 4, 64), 17);
            Tensor inPlace = Tensor.fromFloats(x, t, device(), 1, 3, 4, 64);
            rope.applyInto(inPlace, 17, inPlace);
            assertArrayEquals(separate.toShortArray(), inPlace.toShortArray());
        }
    }

    @Test
    void aDecodeStepAtOffsetMatchesThePromptPosition() {
        // The last token of a 6-token prompt and a decode step of the same vector at start 5 rotate alike.
        DType t = DType.F16;
        float[] prompt = gaussian(6 * 2 * 16, t, 11, 1);
        float[] last = java.util.Arrays.copyOfRange(prompt, 5 * 2 * 16, 6 * 2 * 16);
        try (RotaryEmbedding rope = RotaryEmbedding.create(16, 10000, device())) {
            short[] all = rope.apply(Tensor.fromFloats(prompt, t, device(), 1, 6, 2, 16), 0).toShortArray();
            short[] step = rope.apply(Tensor.fromFloats(last, t, device(), 1, 1, 2, 16), 5).toShortArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(all, 5 * 2 * 16, 6 * 2 * 16), step);
        }
    }

    @Test
    void rejectsBadInputWritingNothing() {
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.create(7, 10000, device()));
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.create(0, 10000, device()));
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.create(8, Double.NaN, device()));
        assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.create(8, 1, device()));
        try (RotaryEmbedding rope = RotaryEmbedding.create(8, 10000, device())) {
            Tensor x = Tensor.fromFloats(new float[16], DType.F32, device(), 1, 2, 1, 8);
            Tensor out = Tensor.fromFloats(fill(16, 5f), DType.F32, device(), 1, 2, 1, 8);
            assertThrows(IllegalArgumentException.class, () -> rope.applyInto(x, -1, out));
            assertThrows(IllegalArgumentException.class, () -> rope.applyInto(x, RotaryEmbedding.MAX_POSITION - 1,
                    out));
            assertThrows(IllegalArgumentException.class,
                    () -> rope.applyInto(Tensor.zeros(DType.F32, device(), 2, 1, 8), 0, out));
            assertThrows(IllegalArgumentException.class,
                    () -> rope.applyInto(Tensor.zeros(DType.F32, device(), 1, 2, 2, 4), 0, out));
            assertThrows(IllegalArgumentException.class,
                    () -> rope.applyInto(x, 0, Tensor.zeros(DType.BF16, device(), 1, 2, 1, 8)));
            assertThrows(UnsupportedOperationException.class,
                    () -> rope.apply(Tensor.zeros(DType.I32, device(), 1, 2, 1, 8), 0));
            assertArrayEquals(fill(16, 5f), out.toFloatArray(), "out after the failures");
            rope.close();
            assertThrows(IllegalStateException.class, () -> rope.applyInto(x, 0, out));
            assertArrayEquals(fill(16, 5f), out.toFloatArray(), "out after the failures");
        }
    }

    private static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }
}
