package io.github.bnb4j.core.testing;

import java.util.Arrays;

/**
 * An independent reference of quantile estimation: each chunk sorted with {@link Arrays#sort(float[])} (whose
 * order puts -0 before +0 and every NaN last), the picks of upstream's float formula averaged in double, in the
 * documented order (groups of 64 chunks).
 */
public final class QuantileReference {
    private static final int CHUNK = 4096;
    private static final int GROUP = 64;

    private QuantileReference() {
    }

    /** The pick position of quantile i in a sorted chunk of {@code valid} values. */
    public static int position(int i, float offset, int valid) {
        float q = (1f - 2f * offset) / 255f;
        int p = Math.round(Math.fma((float) i, q, offset) * (float) (valid - 1)); // ties up: away from 0 here
        return Math.min(Math.max(p, 0), valid - 1);
    }

    /** The {@code numQuantiles} estimated quantiles of {@code values} (at least 256). */
    public static float[] quantiles(float[] values, float offset, int numQuantiles) {
        int n = values.length;
        int chunks = n <= CHUNK ? 1 : n / CHUNK;
        int valid = Math.min(n, CHUNK);
        double[] total = new double[256];
        double[] group = new double[256];
        for (int c = 0; c < chunks; c++) {
            float[] chunk = Arrays.copyOfRange(values, c * CHUNK, c * CHUNK + valid);
            Arrays.sort(chunk);
            for (int i = 0; i < 256; i++) {
                group[i] += chunk[position(i, offset, valid)];
            }
            if ((c + 1) % GROUP == 0 || c + 1 == chunks) {
                for (int i = 0; i < 256; i++) {
                    total[i] += group[i];
                }
                Arrays.fill(group, 0.0);
            }
        }
        float[] out = new float[numQuantiles];
        for (int j = 0; j < numQuantiles; j++) {
            int selected = numQuantiles == 1 ? 0 : 255 * j / (numQuantiles - 1);
            out[j] = (float) (total[selected] / chunks);
        }
        return out;
    }
}
