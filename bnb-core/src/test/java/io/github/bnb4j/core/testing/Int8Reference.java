package io.github.bnb4j.core.testing;

import java.util.Random;
import java.util.TreeSet;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.HalfFloats;

/**
 * The int8 formulas of spec 3.9-3.11 (docs/DECISIONS.md, int8) in plain Java, for the conformance tests: the row
 * scale {@code 127 · (1 / absmax)} in two f32 roundings, round half to even, outliers {@code |x| >= threshold}.
 */
public final class Int8Reference {
    /** {@code 1/127} as f32, upstream's {@code 7.874015718698502e-3}. */
    public static final float INV_127 = 7.874015718698502e-3f;
    /** Upstream CUDA's {@code 1/127²} constant of {@code int8_mm_dequant}. */
    public static final float INV_127_SQUARED = 6.200012e-05f;

    private Int8Reference() {
    }

    /** A row-wise quantization: codes [rows, cols], stats [rows], ascending outlier columns. */
    public record Quant(byte[] codes, float[] stats, long[] outliers) {
    }

    /** Quantizes {@code a} [rows, cols] (values already in their dtype) as the kernels must. */
    public static Quant quantize(float[] a, int rows, int cols, float threshold) {
        byte[] codes = new byte[rows * cols];
        float[] stats = new float[rows];
        TreeSet<Long> outliers = new TreeSet<>();
        for (int r = 0; r < rows; r++) {
            float absmax = 0;
            for (int c = 0; c < cols; c++) {
                float x = Math.abs(a[r * cols + c]);
                if (isOutlier(x, threshold)) {
                    outliers.add((long) c);
                } else if (x > absmax) { // NaN compares false: ignored
                    absmax = x;
                }
            }
            stats[r] = absmax;
            float scale = 127f * (1f / absmax);
            for (int c = 0; c < cols; c++) {
                float x = a[r * cols + c];
                codes[r * cols + c] = isOutlier(Math.abs(x), threshold) ? 0 : code(x * scale);
            }
        }
        for (long c : outliers) {
            for (int r = 0; r < rows; r++) {
                codes[r * cols + (int) c] = 0;
            }
        }
        return new Quant(codes, stats, outliers.stream().mapToLong(Long::longValue).toArray());
    }

    /** {@code (code · stat) · (1/127)} in f32, the dequantized value before rounding to the dtype. */
    public static float dequant(byte code, float stat) {
        return (code * stat) * INV_127;
    }

    /** {@code fmaf(C · row · col, 1/127², bias)} in f32, upstream CUDA's {@code int8_mm_dequant}. */
    public static float mmDequant(int c, float row, float col, float bias) {
        return Math.fma((float) c * row * col, INV_127_SQUARED, bias);
    }

    /** {@code x} rounded to {@code t} (nearest even). */
    public static float round(float x, DType t) {
        return switch (t) {
            case F16 -> HalfFloats.f16ToFloat(HalfFloats.floatToF16(x));
            case BF16 -> HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(x));
            default -> x;
        };
    }

    /** Relative precision of one rounding to {@code t}. */
    public static double unit(DType t) {
        return t == DType.F32 ? 0x1p-24 : t == DType.F16 ? 0x1p-11 : 0x1p-8;
    }

    /**
     * Gaussian activations [rows, cols] rounded to {@code t}, with outliers (magnitudes 6 to 12) planted in a few
     * columns when {@code outliers}: what LLM.int8() sees in a transformer's hidden states.
     */
    public static float[] activations(int rows, int cols, DType t, boolean outliers, long seed) {
        Random rng = new Random(seed);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = round((float) rng.nextGaussian(), t);
        }
        if (outliers) {
            for (int j = 0; j < Math.max(1, cols / 8); j++) {
                int c = rng.nextInt(cols);
                for (int r = 0; r < rows; r++) {
                    if (r % 3 == 0 || rows < 3) {
                        a[r * cols + c] = round((rng.nextBoolean() ? 1 : -1) * (6f + 6f * rng.nextFloat()), t);
                    }
                }
            }
        }
        return a;
    }

    private static boolean isOutlier(float magnitude, float threshold) {
        return threshold > 0 && magnitude >= threshold;
    }

    private static byte code(float scaled) {
        if (Float.isNaN(scaled)) {
            return 0;
        }
        double rounded = Math.rint(scaled); // half to even, exact for a float
        return (byte) Math.max(-127, Math.min(127, rounded));
    }
}
