package io.github.bnb4j.core.functional.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.testing.BackendConformance;
import io.github.bnb4j.core.testing.Int8Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Dropout} against a Java Philox4x32-10 (checked against Random123's known answers), bit for bit, so every
 * backend draws the same mask; and each backend against the CPU directly.
 */
abstract class DropoutConformance extends BackendConformance {
    /** Philox4x32-10 of a counter and key, as Random123 defines it. */
    static int[] philox(int[] counter, int key0, int key1) {
        int[] c = counter.clone();
        for (int round = 0; round < 10; round++) {
            long p0 = (0xD2511F53L & 0xffffffffL) * (c[0] & 0xffffffffL);
            long p1 = (0xCD9E8D57L & 0xffffffffL) * (c[2] & 0xffffffffL);
            c = new int[] {(int) (p1 >>> 32) ^ c[1] ^ key0, (int) p1, (int) (p0 >>> 32) ^ c[3] ^ key1, (int) p0};
            key0 += 0x9E3779B9;
            key1 += 0xBB67AE85;
        }
        return c;
    }

    /** The dropout of x with the mask's definition ({@link DropoutMask}). */
    static float[] reference(float[] x, DType t, DropoutMask mask) {
        long threshold = Math.round((double) mask.p() * (1 << 24));
        float scale = mask.p() >= 1f ? 0f : 1f / (1f - mask.p());
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            long counter = mask.offset() + i / 4;
            int[] w = philox(new int[] {(int) counter, (int) (counter >>> 32), 0, 0}, (int) mask.seed(),
                    (int) (mask.seed() >>> 32));
            boolean keep = (w[i % 4] >>> 8) >= threshold;
            y[i] = keep ? Int8Reference.round(x[i] * scale, t) : 0f;
        }
        return y;
    }

    @Test
    void philoxMatchesRandom123() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, philox(new int[4], 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                philox(new int[] {-1, -1, -1, -1}, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                philox(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0));
    }

    static Stream<Arguments> cases() {
        return NnTesting.floatTypes().flatMap(t -> Stream.of(1, 3, 4, 4097, 10001)
                .flatMap(n -> Stream.of(0f, 0.1f, 0.5f, 1f).map(p -> Arguments.of(t, n, p))));
    }

    @ParameterizedTest(name = "{0} n{1} p{2}")
    @MethodSource("cases")
    void masksAreThePhiloxMaskBitForBit(DType t, int n, float p) {
        float[] x = NnTesting.normal(n, t, 0, 1, n);
        float[] g = NnTesting.normal(n, t, 0, 1, n + 1L);
        DropoutMask mask = new DropoutMask(p, 0x9E3779B97F4A7C15L, (1L << 32) - 3); // the counter carries
        Tensor y = Dropout.forward(NnTesting.tensor(x, t, device(), n), mask);
        Tensor dx = Dropout.backward(NnTesting.tensor(g, t, device(), n), mask);

        assertArrayEquals(reference(x, t, mask), y.toFloatArray(), "forward");
        float[] wantDx = reference(g, t, mask);
        assertArrayEquals(wantDx, dx.toFloatArray(), "backward");
        if (n > 1000 && p > 0 && p < 1) {
            long kept = 0;
            for (float v : y.toFloatArray()) {
                kept += v != 0 ? 1 : 0;
            }
            double rate = (double) kept / n;
            assertEquals(1 - p, rate, 4 * Math.sqrt(p * (1 - p) / n), "keep rate");
        }
    }

    @Test
    void theDeviceDrawsTheCpuMask() {
        float[] x = NnTesting.normal(5003, DType.BF16, 0, 1, 3);
        DropoutMask mask = new DropoutMask(0.25f, 42, 7);
        float[] here = Dropout.forward(NnTesting.tensor(x, DType.BF16, device(), 5003), mask).toFloatArray();
        float[] cpu = Dropout.forward(NnTesting.tensor(x, DType.BF16, Device.cpu(), 5003), mask).toFloatArray();
        assertArrayEquals(cpu, here);
    }

    @Test
    void nextMaskUsesFreshWords() {
        DropoutMask first = new DropoutMask(0.5f, 1, 0);
        DropoutMask second = first.next(9);
        assertEquals(3, second.offset());
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        float[] a = Dropout.forward(NnTesting.tensor(ones, DType.F32, device(), 64), first).toFloatArray();
        float[] b = Dropout.forward(NnTesting.tensor(ones, DType.F32, device(), 64), first.next(64)).toFloatArray();
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertTrue(java.util.Arrays.equals(a, Dropout.forward(NnTesting.tensor(ones, DType.F32, device(), 64),
                new DropoutMask(0.5f, 1, 0)).toFloatArray()), "the same mask twice");
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new DropoutMask(1.5f, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DropoutMask(Float.NaN, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new DropoutMask(0.5f, 0, 0).next(-1));
        NnTesting.assertMessage(UnsupportedOperationException.class, () -> Dropout.forward(
                Tensor.fromInts(new int[] {1}, device(), 1), new DropoutMask(0.5f, 0, 0)), "I32");
        assertThrows(NullPointerException.class,
                () -> Dropout.forward(Tensor.zeros(DType.F32, device(), 1), null));
    }
}
