package io.github.bnb4j.core.functional;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.internal.NativeQuantiles;

/**
 * Fast quantile estimation ("SRAM-Quantiles", upstream's {@code estimate_quantiles}) and the quantile code
 * book built from it ({@code create_quantile_map}), both removed upstream in 2025 and kept here.
 *
 * <p>The estimate is exact per chunk and averaged over chunks:
 * <ol>
 * <li>The flattened input {@code A} (n ≥ 256 values) is cut into chunks of {@value #CHUNK}: for
 * {@code n ≤ 4096} one chunk of all n values, else the {@code ⌊n / 4096⌋} whole chunks; a partial last chunk is
 * skipped. {@code valid} is the chunk length (n or 4096).</li>
 * <li>Each chunk is sorted in the total order {@code -inf < … < -0 < +0 < … < +inf < NaN} (every NaN sorts last,
 * as in {@code torch.sort}), exactly for F16 and BF16 inputs too.</li>
 * <li>From sorted chunk {@code s}, quantile {@code i} ({@code 0 ≤ i < 256}) picks {@code s[p_i]} with
 * <pre>
 *   q   = (1 - 2·offset) / 255                               (float32)
 *   p_i = roundf(fma(i, q, offset) · (valid - 1))             (float32, one fused multiply-add, ties away from 0)
 * </pre>
 * the arithmetic of upstream's CUDA kernel as nvcc compiled it (its {@code offset + i * q} contracted into a fused
 * multiply-add).</li>
 * <li>Quantile {@code i} is the mean of its picks over the chunks: added in double, in groups of 64 consecutive
 * chunks, the group sums in order, divided by the chunk count and rounded once to float32. CPU and CUDA follow
 * this order and agree to the bit.</li>
 * <li>With {@code numQuantiles = k < 256}, entry {@code j} of the result is quantile {@code ⌊255·j / (k-1)⌋}
 * (0 for k = 1): the exact value of upstream's {@code torch.linspace(0, 255, k).long()}.</li>
 * </ol>
 * A NaN in a picked position makes that quantile NaN; infinities are ordinary values. Extreme quantiles of small
 * inputs have a high variance, which the offset trims: 1/512 (upstream's default) drops 0.2% on each side.
 */
public final class Quantiles {
    /** Elements per chunk. */
    public static final int CHUNK = 4096;
    /** Quantiles estimated per chunk, and the most {@link #estimate(Tensor, double, int)} returns. */
    public static final int MAX_QUANTILES = 256;
    /** Inputs need at least this many values. */
    public static final int MIN_ELEMENTS = 256;
    /** Upstream's default offset for 256 quantiles. */
    public static final double DEFAULT_OFFSET = 1.0 / 512;

    private static final Set<DType> INPUT_TYPES = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private Quantiles() {
    }

    /**
     * The 256 quantiles of {@code a} with offset 1/512, upstream's {@code estimate_quantiles(A)}.
     *
     * @see #estimate(Tensor, double, int)
     */
    public static Tensor estimate(Tensor a) {
        return estimate(a, DEFAULT_OFFSET, MAX_QUANTILES);
    }

    /**
     * {@code numQuantiles} quantiles with upstream's default offset for that count: 1/512 for 256, else
     * {@code 1 / (2·numQuantiles)} (so 1/2, the median alone, for one quantile).
     *
     * @see #estimate(Tensor, double, int)
     */
    public static Tensor estimate(Tensor a, int numQuantiles) {
        requireCount(numQuantiles);
        return estimateWith(a, defaultOffset(numQuantiles), numQuantiles);
    }

    /**
     * Estimates {@code numQuantiles} equidistant quantiles of {@code a} (see the class comment for the exact
     * definition). Unlike upstream, an explicit offset is always used as given, also when it equals 1/512.
     * Does not modify {@code a}.
     *
     * @param a            F32, F16 or BF16 tensor of any shape with at least 256 elements, on the CPU or a CUDA
     *                     device
     * @param offset       fraction trimmed from each end, in the open interval (0, 0.5); computed in float32
     * @param numQuantiles quantiles returned, in [1, 256]
     * @return a new F32 tensor of shape [numQuantiles] on {@code a}'s device, ascending unless NaN or
     *         {@code offset} near 0.5 makes entries equal; the caller closes it
     * @throws IllegalStateException         if {@code a} is closed
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if {@code a} has fewer than 256 elements, {@code offset} is not in
     *                                       (0, 0.5) or {@code numQuantiles} is not in [1, 256]
     */
    public static Tensor estimate(Tensor a, double offset, int numQuantiles) {
        float checked = checkedOffset(offset);
        requireCount(numQuantiles);
        return estimateWith(a, checked, numQuantiles);
    }

    /**
     * {@link #estimate(Tensor, double, int)} into a caller-owned tensor, allocating no tensor:
     * {@code numQuantiles = out.numel()}.
     *
     * @param out F32 tensor of 1 to 256 elements on {@code a}'s device; written only when every check passes
     * @throws IllegalStateException         if {@code a} or {@code out} is closed
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      as {@link #estimate(Tensor, double, int)}, or if {@code out} is not F32,
     *                                       has a size outside [1, 256] or lies on another device
     */
    public static void estimateInto(Tensor a, double offset, Tensor out) {
        float checked = checkedOffset(offset);
        if (out.isClosed()) {
            throw new IllegalStateException("out is closed: " + out);
        }
        if (out.dtype() != DType.F32 || out.numel() < 1 || out.numel() > MAX_QUANTILES) {
            throw new IllegalArgumentException("out must be an F32 tensor of 1 to " + MAX_QUANTILES
                    + " elements (one per quantile), got " + out);
        }
        requireInput(a);
        if (!out.device().equals(a.device())) {
            throw new IllegalArgumentException("out must be on " + a.device() + " like a, got " + out.device());
        }
        NativeQuantiles.estimateQuantiles(a, out, checked);
    }

    /**
     * A quantile code book for {@link Blockwise#quantize(Tensor, BlockwiseOptions)}, upstream's
     * {@code create_quantile_map(A, total_bits)}:
     * <pre>
     *   q    = estimate(A, 2^totalBits - 1)          (offset 1 / (2·(2^totalBits - 1)))
     *   map  = sort(q ++ [0] ++ 256 - 2^totalBits zeros)
     *   map /= max |map|                             (float32 division)
     * </pre>
     * For 8 bits these are 255 quantiles and a zero; fewer bits pad with zeros to 256 entries, as the other code
     * books do. Pass it as {@code BlockwiseOptions.defaults().withCode(Tensor.fromFloats(map, DType.F32, device,
     * 256))}.
     *
     * @param a         as for {@link #estimate(Tensor, double, int)}
     * @param totalBits bits per code, in [1, 8]
     * @return 256 ascending values in [-1, 1] with at least one of magnitude 1
     * @throws IllegalStateException         if {@code a} is closed
     * @throws UnsupportedOperationException if {@code a}'s dtype is not F32, F16 or BF16
     * @throws IllegalArgumentException      if {@code a} has fewer than 256 elements, {@code totalBits} is not in
     *                                       [1, 8], or the quantiles cannot make a code book: one is NaN or
     *                                       infinite, or all are zero
     */
    public static float[] createQuantileMap(Tensor a, int totalBits) {
        if (totalBits < 1 || totalBits > 8) {
            throw new IllegalArgumentException("totalBits must be in [1, 8], got " + totalBits);
        }
        float[] quantiles;
        try (Tensor q = estimate(a, (1 << totalBits) - 1)) {
            quantiles = q.toFloatArray();
        }
        float[] map = new float[CodeBooks.CODE_SIZE]; // the zero and the padding stay 0
        System.arraycopy(quantiles, 0, map, 0, quantiles.length);
        float maxAbs = 0f;
        for (float v : quantiles) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException("createQuantileMap: the quantiles of a must be finite to make a "
                        + "code book, got " + Arrays.toString(quantiles) + " (NaN or infinite values in a)");
            }
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        if (maxAbs == 0f) {
            throw new IllegalArgumentException("createQuantileMap: every quantile of a is 0; a code book needs a "
                    + "non-zero one");
        }
        Arrays.sort(map);
        for (int i = 0; i < map.length; i++) {
            map[i] /= maxAbs; // no quantile is -0 (the sums start at +0), so the zeros' order does not matter
        }
        return map;
    }

    /** Upstream's offset for {@code numQuantiles} quantiles when none is given. */
    private static float defaultOffset(int numQuantiles) {
        return numQuantiles == MAX_QUANTILES ? (float) DEFAULT_OFFSET : 1f / (2 * numQuantiles);
    }

    private static Tensor estimateWith(Tensor a, float offset, int numQuantiles) {
        requireInput(a);
        Tensor out = Tensor.empty(DType.F32, a.device(), numQuantiles);
        try {
            NativeQuantiles.estimateQuantiles(a, out, offset);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** A user's offset, in float32 as the kernels use it. */
    private static float checkedOffset(double offset) {
        if (!(offset > 0 && offset < 0.5) || !((float) offset > 0f)) {
            throw new IllegalArgumentException("offset must be in the open interval (0, 0.5) and not round to 0 in "
                    + "float32, got " + offset);
        }
        return (float) offset;
    }

    private static void requireInput(Tensor a) {
        if (a.isClosed()) {
            throw new IllegalStateException("a is closed: " + a);
        }
        if (!INPUT_TYPES.contains(a.dtype())) {
            throw new UnsupportedOperationException("estimateQuantiles does not support dtype " + a.dtype() + " on "
                    + a.device() + "; supported: " + INPUT_TYPES);
        }
        if (a.numel() < MIN_ELEMENTS) {
            throw new IllegalArgumentException("a must have at least " + MIN_ELEMENTS + " elements to estimate "
                    + "quantiles, got " + a.numel() + " (shape " + Arrays.toString(a.shape()) + ")");
        }
    }

    private static void requireCount(int numQuantiles) {
        if (numQuantiles < 1 || numQuantiles > MAX_QUANTILES) {
            throw new IllegalArgumentException("numQuantiles must be in [1, " + MAX_QUANTILES + "], got "
                    + numQuantiles);
        }
    }
}
