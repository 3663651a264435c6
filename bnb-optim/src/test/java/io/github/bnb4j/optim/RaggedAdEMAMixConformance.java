package io.github.bnb4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Parameter;
import io.github.bnb4j.core.testing.BackendConformance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AdEMAMix8bit on sizes that are not a multiple of 256, against an explicit reference of the layout bnb4j keeps
 * (docs/DECISIONS.md, its optimizer reliability section): {@code absmax1} is {@code [2, blocks]}, the fast EMA's
 * block {@code b} scaled by {@code absmax1[b]} and the slow EMA's by {@code absmax1[blocks + b]}. Upstream indexes
 * the slow EMA's scale as {@code absmax1[(n + i) / 256]}, which for a ragged {@code n} lands in the fast EMA's
 * last slot and shifts the slow blocks; a kernel doing that fails these assertions by orders of magnitude (the
 * slow EMA is about 1000 times smaller than the fast one after the first steps).
 *
 * <p>Each step is checked on its own, from the kernel's previous codes: the reference dequantizes them with the
 * kept layout, applies spec §3.15 in double, and predicts every absmax (padding lanes included, spec §3.16 step 3),
 * the dequantized new states (within a code step) and the parameters.
 */
abstract class RaggedAdEMAMixConformance extends BackendConformance {
    private static final int STEPS = 4;
    private static final int BLOCK = 256;

    @ParameterizedTest(name = "n={0}")
    @ValueSource(ints = {300, 257, 511})
    void slowEmaScalesLiveInTheirOwnRow(int n) {
        int blocks = (n + BLOCK - 1) / BLOCK;
        Parameter w = OptimTesting.param("w", OptimTesting.gaussian(n, 3, 0.1), DType.F32, device());
        try (Optimizer opt = AdEMAMix8bit.builder().params(List.of(w)).minEightBitSize(0)
                .manager(new GlobalOptimManager()).build()) {
            OptimConfig c = opt.configFor(w);
            for (int step = 1; step <= STEPS; step++) {
                float[] g = OptimTesting.gaussian(n, 100 + step, 0.01);
                OptimTesting.setGrad(w, g);
                ParamState before = opt.state(w);
                double[] fast = new double[n];
                double[] slow = new double[n];
                double[] v = new double[n];
                double[] prevAbsmax1 = new double[2 * blocks];
                double[] prevAbsmax2 = new double[blocks];
                if (before != null) {
                    dequantizeKeptLayout(before, n, blocks, fast, slow, v, prevAbsmax1, prevAbsmax2);
                }
                float[] p = w.value().toFloatArray();
                opt.step();
                ParamState after = opt.state(w);
                float[] qmap1 = after.qmap1().toFloatArray();
                float[] qmap2 = after.qmap2().toFloatArray();
                double b1 = c.beta1();
                double b2 = c.beta2();
                double b3 = c.beta3();
                double[] expAbsmax1 = new double[2 * blocks];
                double[] expAbsmax2 = new double[blocks];
                double[] expP = new double[n];
                // the bias corrections in float, as the kernels take them (1 - beta2^t cancels in float)
                float c1 = 1f - (float) Math.pow(c.beta1(), step);
                float c2 = (float) Math.sqrt(1f - (float) Math.pow(c.beta2(), step));
                for (int i = 0; i < n; i++) {
                    fast[i] = b1 * fast[i] + (1 - b1) * g[i];
                    slow[i] = b3 * slow[i] + (1 - b3) * g[i];
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    int b = i / BLOCK;
                    expAbsmax1[b] = Math.max(expAbsmax1[b], Math.abs(fast[i]));
                    expAbsmax1[blocks + b] = Math.max(expAbsmax1[blocks + b], Math.abs(slow[i]));
                    expAbsmax2[b] = Math.max(expAbsmax2[b], v[i]);
                    double update = (fast[i] / c1 + c.alpha() * slow[i]) / (Math.sqrt(v[i]) / c2 + c.eps());
                    expP[i] = (p[i] - c.lr() * update) * (1 - (double) c.lr() * c.weightDecay());
                }
                // lanes past n load code 128 (signed) / 0 (unsigned) and a zero gradient, and count in the absmax
                int last = blocks - 1;
                expAbsmax1[last] = Math.max(expAbsmax1[last], b1 * Math.abs(qmap1[128] * prevAbsmax1[last]));
                expAbsmax1[blocks + last] = Math.max(expAbsmax1[blocks + last],
                        b3 * Math.abs(qmap1[128] * prevAbsmax1[blocks + last]));
                expAbsmax2[last] = Math.max(expAbsmax2[last], b2 * qmap2[0] * prevAbsmax2[last]);

                String at = "n=" + n + " step " + step;
                float[] absmax1 = after.absmax1().toFloatArray();
                float[] absmax2 = after.absmax2().toFloatArray();
                assertEquals(2 * blocks, absmax1.length);
                for (int k = 0; k < 2 * blocks; k++) {
                    String what = at + (k < blocks ? " fast" : " slow") + " absmax of block " + (k % blocks);
                    assertEquals(expAbsmax1[k], absmax1[k], 1e-6 * expAbsmax1[k], what);
                }
                for (int b = 0; b < blocks; b++) {
                    assertEquals(expAbsmax2[b], absmax2[b], 1e-6 * expAbsmax2[b], at + " absmax2 of block " + b);
                }
                double[] gotFast = new double[n];
                double[] gotSlow = new double[n];
                double[] gotV = new double[n];
                dequantizeKeptLayout(after, n, blocks, gotFast, gotSlow, gotV, new double[2 * blocks],
                        new double[blocks]);
                float[] gotP = w.value().toFloatArray();
                for (int i = 0; i < n; i++) {
                    int b = i / BLOCK;
                    // one step of the dynamic map near 1 is below 0.015; half of it bounds the rounding
                    assertTrue(Math.abs(gotFast[i] - fast[i]) <= 0.008 * expAbsmax1[b], at + " fast[" + i + "]");
                    assertTrue(Math.abs(gotSlow[i] - slow[i]) <= 0.008 * expAbsmax1[blocks + b],
                            at + " slow[" + i + "]: " + gotSlow[i] + " vs " + slow[i]);
                    assertTrue(Math.abs(gotV[i] - v[i]) <= 0.008 * expAbsmax2[b], at + " v[" + i + "]");
                    assertEquals(expP[i], gotP[i], 1e-6 * Math.abs(expP[i]) + 1e-9, at + " p[" + i + "]");
                }
            }
        } finally {
            w.close();
        }
    }

    /** The 8-bit state as the kept layout reads it: fast block b by absmax1[b], slow block b by absmax1[blocks+b]. */
    private static void dequantizeKeptLayout(ParamState s, int n, int blocks, double[] fast, double[] slow,
            double[] v, double[] absmax1Out, double[] absmax2Out) {
        float[] qmap1 = s.qmap1().toFloatArray();
        float[] qmap2 = s.qmap2().toFloatArray();
        byte[] codes1 = s.state1().toByteArray();
        byte[] codes2 = s.state2().toByteArray();
        float[] absmax1 = s.absmax1().toFloatArray();
        float[] absmax2 = s.absmax2().toFloatArray();
        for (int i = 0; i < n; i++) {
            int b = i / BLOCK;
            fast[i] = qmap1[codes1[i] & 0xFF] * absmax1[b];
            slow[i] = qmap1[codes1[n + i] & 0xFF] * absmax1[blocks + b];
            v[i] = qmap2[codes2[i] & 0xFF] * absmax2[b];
        }
        for (int k = 0; k < absmax1.length; k++) {
            absmax1Out[k] = absmax1[k];
        }
        for (int b = 0; b < absmax2.length; b++) {
            absmax2Out[b] = absmax2[b];
        }
    }
}
