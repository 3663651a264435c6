package io.github.bnb4j.core.functional;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The quantization code books of bitsandbytes, as float arrays that reproduce the upstream tables
 * bit for bit ({@code create_dynamic_map}, {@code create_normal_map}, {@code create_linear_map},
 * {@code create_fp8_map} and the hard-coded NF4 and FP4 tables of {@code get_4bit_type}).
 *
 * <p>Upstream builds these with PyTorch in float32; every step is emulated here with the same float32
 * operations in the same order. {@code torch.linspace} in float32 is reproduced by
 * {@link #linspace(float, float, int)}: {@code step = (end - start) / (steps - 1)} in float32, then
 * {@code fma(step, i, start)} for {@code i < steps / 2} and {@code fma(-step, steps - 1 - i, end)} for the
 * rest, each with a single rounding. That is torch's formula with {@code start + step * i} contracted into a
 * fused multiply-add, as nvcc does by default for torch's CUDA kernel. It is the form that reproduces the
 * reference vectors ({@code maps.dynamic_signed}, {@code maps.dynamic_unsigned}, {@code maps.normal_default})
 * exactly; the unfused formula (two roundings) gets dozens of dynamic-map entries wrong by an ulp.
 *
 * <p>Every method returns a new array that the caller may change.
 */
public final class CodeBooks {
    /** Entries in every 8-bit code book (smaller formats are zero-padded to this size, as upstream does). */
    public static final int CODE_SIZE = 256;
    /** Default {@code offset} of {@link #createNormalMap(double, boolean)}, as in bitsandbytes. */
    public static final double DEFAULT_NORMAL_OFFSET = 0.9677083;

    /** NF4, index → value, ascending; the float literals of {@code get_4bit_type("nf4")}. */
    private static final float[] NF4 = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /**
     * FP4 before normalization: codes 0-7 are the magnitudes of bit patterns 0b000-0b111, codes 8-15 the same
     * with the sign bit. Index 8 is +0, not -0: upstream writes it as the integer {@code -0}.
     */
    private static final float[] FP4_RAW = {
        0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, 0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f,
    };

    private static final float[] FP4 = normalizeByMaxAbs(FP4_RAW);
    private static final float[] DYNAMIC_SIGNED = createDynamicMap(true, 7, 8);
    private static final float[] DYNAMIC_UNSIGNED = createDynamicMap(false, 7, 8);

    private CodeBooks() {
    }

    /** A copy of the default signed dynamic map, {@code createDynamicMap(true, 7, 8)}. */
    public static float[] dynamicSigned() {
        return DYNAMIC_SIGNED.clone();
    }

    /** A copy of the default unsigned dynamic map, {@code createDynamicMap(false, 7, 8)}. */
    public static float[] dynamicUnsigned() {
        return DYNAMIC_UNSIGNED.clone();
    }

    /**
     * The 16 NF4 values in index order (ascending): −1, −0.6961928, …, 0, 0.0795803, …, 0.7229568, 1. These are
     * the hard-coded literals upstream uses in Python, CUDA and CPU code; they equal entries 0-6, 127 and
     * 248-255 of {@code createNormalMap(DEFAULT_NORMAL_OFFSET, true)}.
     */
    public static float[] nf4() {
        return NF4.clone();
    }

    /**
     * The 16 FP4 values in index order: {@code [0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2,
     * -3] / 12} in float32, i.e. 0, 0.0052083335, 0.6666667, 1, 0.33333334, 0.5, 0.16666667, 0.25, then the
     * negatives. Bit 3 is the sign; index 8 is +0 as in {@code get_4bit_type("fp4")}.
     */
    public static float[] fp4() {
        return FP4.clone();
    }

    /** {@code createDynamicMap(signed, 7, 8)}. */
    public static float[] createDynamicMap(boolean signed) {
        return createDynamicMap(signed, 7, 8);
    }

    /**
     * Dynamic (tree) quantization map, {@code create_dynamic_map}. With {@code nsb = totalBits - 1}:
     * <ul>
     * <li>for each group {@code i = 0 … maxExponentBits-1}: {@code k = ⌊2^(i + nsb - maxExponentBits) + 1⌋}
     * (signed) or {@code ⌊2^(i + nsb - maxExponentBits + 1) + 1⌋} (unsigned); {@code b = linspace(0.1, 1, k)};
     * the means {@code (b[j] + b[j+1]) / 2} scaled by {@code 10^(i - (maxExponentBits - 1))} (float32
     * multiply), and their negatives when signed;</li>
     * <li>when {@code extra = 2^(nsb - maxExponentBits) - 1 > 0}: {@code extra} more means of
     * {@code linspace(0.1, 1, extra + 1)} at the last group's scale (1);</li>
     * <li>then 0 and 1; zero padding to 256; sorted ascending.</li>
     * </ul>
     * The signed default has no −1: its smallest entry is −0.99296874.
     *
     * @param signed          whether the map has negative values
     * @param maxExponentBits number of decades, in {@code [1, totalBits]}
     * @param totalBits       bits per code, in {@code [1, 8]}
     * @return 256 ascending values
     * @throws IllegalArgumentException if an argument is out of range, or an unsigned map would not have
     *                                  {@code 2^totalBits} values (needs {@code maxExponentBits >= totalBits - 1})
     */
    public static float[] createDynamicMap(boolean signed, int maxExponentBits, int totalBits) {
        requireInRange("totalBits", totalBits, 1, 8);
        requireInRange("maxExponentBits", maxExponentBits, 1, totalBits);
        int nonSignBits = totalBits - 1;
        List<Float> data = new ArrayList<>();
        float lastScale = 1f;
        for (int i = 0; i < maxExponentBits; i++) {
            // Upstream computes 2 ** (negative) as a float and truncates with int(), so keep the double here.
            int exponent = i + nonSignBits - maxExponentBits + (signed ? 0 : 1);
            int fractionItems = (int) (Math.pow(2, exponent) + 1);
            lastScale = powerOfTen(i - (maxExponentBits - 1));
            addScaledMeans(data, linspace(0.1f, 1f, fractionItems), lastScale, signed);
        }
        int additionalItems = (int) (Math.pow(2, nonSignBits - maxExponentBits) - 1);
        if (additionalItems > 0) {
            // Upstream reuses the loop variable here, so these land at the last group's scale.
            addScaledMeans(data, linspace(0.1f, 1f, additionalItems + 1), lastScale, signed);
        }
        data.add(0f);
        data.add(1f);
        if (data.size() != 1 << totalBits) {
            throw new IllegalArgumentException("createDynamicMap(signed=" + signed + ", maxExponentBits="
                    + maxExponentBits + ", totalBits=" + totalBits + ") makes " + data.size()
                    + " values, but needs 2^totalBits = " + (1 << totalBits)
                    + "; unsigned maps need maxExponentBits >= totalBits - 1");
        }
        float[] code = new float[CODE_SIZE]; // the tail stays zero: upstream's padding
        for (int j = 0; j < data.size(); j++) {
            code[j] = data.get(j);
        }
        Arrays.sort(code);
        return code;
    }

    /** {@code createNormalMap(DEFAULT_NORMAL_OFFSET, true)}, whose non-zero entries and one zero form NF4. */
    public static float[] createNormalMap() {
        return createNormalMap(DEFAULT_NORMAL_OFFSET, true);
    }

    /**
     * Normal-float map, {@code create_normal_map}, the source of NF4. With {@code q = linspace(offset, 0.5, n)}
     * in float32 (offset rounded to float32 first) and {@code Φ⁻¹} the standard normal quantile in double:
     * <ul>
     * <li>{@code useExtraValue}: {@code Φ⁻¹(q)} for the first 8 of {@code n = 9} points, {@code -Φ⁻¹(q)} for the
     * first 7 of {@code n = 8} points, and 241 zeros;</li>
     * <li>otherwise: 7 and 7 from {@code n = 8}, and 242 zeros;</li>
     * <li>each value rounded to float32, sorted, and divided by the largest (float32 division).</li>
     * </ul>
     * {@code Φ⁻¹} is Cephes {@code ndtri}, the algorithm scipy's {@code norm.ppf} uses, so the doubles agree with
     * scipy's to the last bit (up to the platform's {@code log}).
     *
     * @param offset          upper quantile, in the open interval {@code (0.5, 1)} after rounding to float32
     * @param useExtraValue   whether the positive side gets one more value than the negative side (NF4 does)
     * @return 256 ascending values in {@code [-1, 1]} with maximum 1
     * @throws IllegalArgumentException if {@code offset} is out of range or NaN
     */
    public static float[] createNormalMap(double offset, boolean useExtraValue) {
        float start = (float) offset;
        if (!(start > 0.5f && start < 1f)) {
            throw new IllegalArgumentException("offset must be in (0.5, 1) after rounding to float32, got " + offset);
        }
        float[] positive = linspace(start, 0.5f, useExtraValue ? 9 : 8);
        float[] negative = linspace(start, 0.5f, 8);
        float[] code = new float[CODE_SIZE]; // untouched entries are the zeros
        int k = 0;
        for (int j = 0; j < positive.length - 1; j++) { // [:-1] drops q = 0.5, where the quantile is 0
            code[k++] = (float) InverseNormalCdf.ndtri(positive[j]);
        }
        for (int j = 0; j < negative.length - 1; j++) {
            code[k++] = (float) -InverseNormalCdf.ndtri(negative[j]);
        }
        Arrays.sort(code);
        float max = code[CODE_SIZE - 1];
        for (int j = 0; j < CODE_SIZE; j++) {
            code[j] /= max;
        }
        return code;
    }

    /**
     * Uniform map, {@code create_linear_map}: {@code linspace(signed ? -1 : 0, 1, n)} in float32 with
     * {@code n = 2^totalBits}, or {@code 2^totalBits - 1} when signed and ({@code addZero} or
     * {@code totalBits < 8}), so that a signed map is centred on zero. When {@code n < 256} the
     * {@code 256 - n} padding zeros go in the middle: {@code values[:n/2]}, zeros, {@code values[n/2:]}.
     *
     * <p>As upstream, the result is therefore not sorted for unsigned maps of fewer than 8 bits, and the
     * middle value of a signed map is {@code fma(-step, n/2, 1)}, which is a tiny non-zero residue (for
     * example −3e-8 for 3 bits) rather than exactly 0.
     *
     * @param signed    whether the range is {@code [-1, 1]} rather than {@code [0, 1]}
     * @param totalBits bits per code, in {@code [1, 8]}
     * @param addZero   for 8-bit signed maps: use 255 values so that 0 is (nearly) one of them
     * @return 256 values
     * @throws IllegalArgumentException if {@code totalBits} is out of range
     */
    public static float[] createLinearMap(boolean signed, int totalBits, boolean addZero) {
        requireInRange("totalBits", totalBits, 1, 8);
        int totalValues = 1 << totalBits;
        if (signed && (addZero || totalBits < 8)) {
            totalValues -= 1;
        }
        float[] values = linspace(signed ? -1f : 0f, 1f, totalValues);
        if (totalValues == CODE_SIZE) {
            return values;
        }
        int half = totalValues / 2;
        int gap = CODE_SIZE - totalValues;
        float[] code = new float[CODE_SIZE];
        System.arraycopy(values, 0, code, 0, half);
        System.arraycopy(values, half, code, half + gap, totalValues - half);
        return code;
    }

    /**
     * Small floating-point format map, {@code create_fp8_map}. With {@code bias = 2^(exponentBits-1)}, for each
     * exponent field {@code ev} in {@code [0, 2^exponentBits)} and mantissa bits {@code m_1 … m_p}:
     * {@code v = [ev ≠ 0] + Σ m_j·2^-j}, scaled by {@code 2^-bias} when {@code ev = 0} (subnormal) and by
     * {@code 2^-(ev - bias - 1)} otherwise; ±v when signed. Computed in double as upstream does in Python, then
     * sorted, zero-padded to 256 (when {@code totalBits < 8}), rounded to float32 and divided by the maximum.
     * Signed maps contain both −0 and +0, in upstream's order (its stable sort treats them as equal).
     *
     * <p>Note: {@code createFp8Map(true, 2, 1, 4)} is not the FP4 table (its smallest non-zero value is
     * 0.0208333, FP4's is 0.0052083); use {@link #fp4()}.
     *
     * @param signed        whether one bit is a sign bit
     * @param exponentBits  exponent bits, in {@code [1, 7]} (8 would overflow float32)
     * @param precisionBits mantissa bits, {@code >= 0}
     * @param totalBits     in {@code [1, 8]}; must equal {@code exponentBits + precisionBits + (signed ? 1 : 0)}
     * @return 256 ascending values with maximum 1
     * @throws IllegalArgumentException if an argument is out of range or the bit counts do not add up
     */
    public static float[] createFp8Map(boolean signed, int exponentBits, int precisionBits, int totalBits) {
        requireInRange("totalBits", totalBits, 1, 8);
        requireInRange("exponentBits", exponentBits, 1, 7);
        requireInRange("precisionBits", precisionBits, 0, 7);
        int signBits = signed ? 1 : 0;
        if (exponentBits + precisionBits + signBits != totalBits) {
            throw new IllegalArgumentException("exponentBits + precisionBits + (signed ? 1 : 0) must equal totalBits="
                    + totalBits + ", got " + exponentBits + " + " + precisionBits + " + " + signBits);
        }
        int bias = 1 << (exponentBits - 1);
        List<Double> values = new ArrayList<>();
        for (int exponentField = 0; exponentField < 1 << exponentBits; exponentField++) {
            // Mantissa patterns in itertools.product order: the first bit is the most significant.
            for (int pattern = 0; pattern < 1 << precisionBits; pattern++) {
                double value = exponentField != 0 ? 1 : 0;
                for (int j = 0; j < precisionBits; j++) {
                    int bit = (pattern >> (precisionBits - 1 - j)) & 1;
                    value += bit * Math.scalb(1.0, -(j + 1));
                }
                value = exponentField == 0
                        ? value * Math.scalb(1.0, -bias)
                        : value * Math.scalb(1.0, -(exponentField - bias - 1));
                values.add(value);
                if (signed) {
                    values.add(-value);
                }
            }
        }
        // Python's list.sort: stable, and -0.0 == 0.0, so the zeros keep their insertion order.
        values.sort(CodeBooks::compareNumerically);
        while (values.size() < CODE_SIZE) {
            values.add(0.0);
        }
        values.sort(CodeBooks::compareNumerically);
        float[] code = new float[CODE_SIZE];
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < CODE_SIZE; j++) {
            code[j] = (float) (double) values.get(j);
            max = Math.max(max, code[j]);
        }
        for (int j = 0; j < CODE_SIZE; j++) {
            code[j] /= max;
        }
        return code;
    }

    /**
     * {@code torch.linspace(start, end, steps)} in float32, as computed on CUDA (see the class comment):
     * symmetric about the middle so that both ends are exact.
     */
    static float[] linspace(float start, float end, int steps) {
        if (steps == 1) {
            return new float[] {start}; // torch special-cases one step: fill with start
        }
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < halfway
                    ? Math.fma(step, (float) i, start)
                    : Math.fma(-step, (float) (steps - 1 - i), end);
        }
        return out;
    }

    private static void addScaledMeans(List<Float> data, float[] boundaries, float scale, boolean signed) {
        for (int j = 0; j + 1 < boundaries.length; j++) {
            float mean = (boundaries[j] + boundaries[j + 1]) / 2f;
            data.add(scale * mean);
            if (signed) {
                data.add(-scale * mean);
            }
        }
    }

    /** {@code 10 ** exponent} as Python computes it (a correctly rounded double), then rounded to float32. */
    private static float powerOfTen(int exponent) {
        return (float) Double.parseDouble("1e" + exponent);
    }

    private static float[] normalizeByMaxAbs(float[] raw) {
        float max = 0f;
        for (float v : raw) {
            max = Math.max(max, Math.abs(v));
        }
        float[] out = new float[raw.length];
        for (int j = 0; j < raw.length; j++) {
            out[j] = raw[j] / max;
        }
        return out;
    }

    private static int compareNumerically(double a, double b) {
        return a < b ? -1 : (a > b ? 1 : 0);
    }

    private static void requireInRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    /**
     * The standard normal quantile, a port of Cephes {@code ndtri} (Stephen L. Moshier, as shipped in
     * scipy.special, which {@code scipy.stats.norm.ppf} calls). Relative error below 1e-15; the same
     * algorithm and coefficients as scipy, so the results match scipy's doubles.
     */
    private static final class InverseNormalCdf {
        private static final double SQRT_2PI = 2.50662827463100050242E0;
        /** exp(-2): below it (or above 1 - it) the tail approximations are used. */
        private static final double EXP_MINUS_2 = 0.13533528323661269189;

        /** Approximation for {@code |y - 0.5| <= 3/8}. */
        private static final double[] P0 = {
            -5.99633501014107895267E1, 9.80010754185999661536E1, -5.66762857469070293439E1,
            1.39312609387279679503E1, -1.23916583867381258016E0,
        };
        private static final double[] Q0 = {
            1.95448858338141759834E0, 4.67627912898881538453E0, 8.63602421390890590575E1,
            -2.25462687854119370527E2, 2.00260212380060660359E2, -8.20372256168333339912E1,
            1.59056225126211695515E1, -1.18331621121330003142E0,
        };
        /** For {@code z = sqrt(-2 log y)} between 2 and 8. */
        private static final double[] P1 = {
            4.05544892305962419923E0, 3.15251094599893866154E1, 5.71628192246421288162E1,
            4.40805073893200834700E1, 1.46849561928858024014E1, 2.18663306850790267539E0,
            -1.40256079171354495875E-1, -3.50424626827848203418E-2, -8.57456785154685413611E-4,
        };
        private static final double[] Q1 = {
            1.57799883256466749731E1, 4.53907635128879210584E1, 4.13172038254672030440E1,
            1.50425385692907503408E1, 2.50464946208309415979E0, -1.42182922854787788574E-1,
            -3.80806407691578277194E-2, -9.33259480895457427372E-4,
        };
        /** For {@code z} between 8 and 64. */
        private static final double[] P2 = {
            3.23774891776946035970E0, 6.91522889068984211695E0, 3.93881025292474443415E0,
            1.33303460815807542389E0, 2.01485389549179081538E-1, 1.23716634817820021358E-2,
            3.01581553508235416007E-4, 2.65806974686737550832E-6, 6.23974539184983293730E-9,
        };
        private static final double[] Q2 = {
            6.02427039364742014255E0, 3.67983563856160859403E0, 1.37702099489081330271E0,
            2.16236993594496635890E-1, 1.34204006088543189037E-2, 3.28014464682127739104E-4,
            2.89247864745380683936E-6, 6.79019408009981274425E-9,
        };

        private InverseNormalCdf() {
        }

        /** Φ⁻¹(p) for p in (0, 1); ±∞ at 0 and 1, NaN outside. */
        static double ndtri(double p) {
            if (p == 0.0) {
                return Double.NEGATIVE_INFINITY;
            }
            if (p == 1.0) {
                return Double.POSITIVE_INFINITY;
            }
            if (!(p > 0.0 && p < 1.0)) {
                return Double.NaN;
            }
            boolean negate = true;
            double y = p;
            if (y > 1.0 - EXP_MINUS_2) {
                y = 1.0 - y;
                negate = false;
            }
            if (y > EXP_MINUS_2) {
                y = y - 0.5;
                double y2 = y * y;
                double x = y + y * (y2 * polevl(y2, P0) / p1evl(y2, Q0));
                return x * SQRT_2PI;
            }
            double x = Math.sqrt(-2.0 * StrictMath.log(y));
            double x0 = x - StrictMath.log(x) / x;
            double z = 1.0 / x;
            double x1 = x < 8.0
                    ? z * polevl(z, P1) / p1evl(z, Q1)
                    : z * polevl(z, P2) / p1evl(z, Q2);
            double result = x0 - x1;
            return negate ? -result : result;
        }

        /** {@code c[0] x^n + … + c[n]} by Horner's rule. */
        private static double polevl(double x, double[] c) {
            double ans = c[0];
            for (int i = 1; i < c.length; i++) {
                ans = ans * x + c[i];
            }
            return ans;
        }

        /** As {@link #polevl} with an implicit leading coefficient 1. */
        private static double p1evl(double x, double[] c) {
            double ans = x + c[0];
            for (int i = 1; i < c.length; i++) {
                ans = ans * x + c[i];
            }
            return ans;
        }
    }
}
