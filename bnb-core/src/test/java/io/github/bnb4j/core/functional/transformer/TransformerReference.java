package io.github.bnb4j.core.functional.transformer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.testing.Int8Reference;

/**
 * Double-precision references of the transformer ops and the tolerances they are compared with. A result may be
 * off by {@code tol(dtype) · scale + floor(dtype)}: tol is three roundings to the dtype (RoPE rounds two products
 * and their sum; RMSNorm an intermediate and its output; attention its output after f32 sums), or f32 sums over
 * a few thousand terms for F32; scale is the size of the terms that make the value (so cancellation is allowed
 * for); floor is two steps of F16's subnormals.
 */
final class TransformerReference {
    private TransformerReference() {
    }

    static double tol(DType t) {
        return t == DType.F32 ? 2e-5 : 3 * Int8Reference.unit(t);
    }

    static double floor(DType t) {
        return t == DType.F16 ? 0x1p-23 : 1e-30;
    }

    /** Gaussian values times scale, already rounded to t (what a tensor of t holds). */
    static float[] gaussian(int n, DType t, long seed, double scale) {
        Random rng = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Int8Reference.round((float) (rng.nextGaussian() * scale), t);
        }
        return v;
    }

    static void assertClose(double[] want, double[] scale, float[] got, DType t, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double allowed = tol(t) * scale[i] + floor(t);
            if (!(Math.abs(got[i] - want[i]) <= allowed)) {
                throw new AssertionError(what + " " + t + ": element " + i + " is " + got[i] + ", want " + want[i]
                        + " within " + allowed);
            }
        }
    }

    /** out and |out|'s scale of LlamaRMSNorm over rows of n. */
    static double[][] rmsNorm(float[] x, float[] w, int n, double eps, DType t) {
        int rows = x.length / n;
        double[] out = new double[x.length];
        double[] scale = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double s = rstd(x, r, n, eps);
            for (int c = 0; c < n; c++) {
                double h = Int8Reference.round((float) (x[r * n + c] * s), t);
                out[r * n + c] = w[c] * h;
                scale[r * n + c] = Math.abs(w[c] * x[r * n + c] * s);
            }
        }
        return new double[][] {out, scale};
    }

    static double rstd(float[] x, int r, int n, double eps) {
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += (double) x[r * n + c] * x[r * n + c];
        }
        return 1 / Math.sqrt(sum / n + eps);
    }

    /** {gradX, its scale, gradW, its scale} of RMSNorm for the upstream gradient g. */
    static double[][] rmsNormBackward(float[] g, float[] x, float[] w, int n, double eps, DType t) {
        int rows = x.length / n;
        double[] gx = new double[x.length];
        double[] gxScale = new double[x.length];
        double[] gw = new double[n];
        double[] gwScale = new double[n];
        for (int r = 0; r < rows; r++) {
            double s = rstd(x, r, n, eps);
            double dot = 0;
            double dotAbs = 0;
            for (int c = 0; c < n; c++) {
                double term = (double) g[r * n + c] * w[c] * x[r * n + c];
                dot += term;
                dotAbs += Math.abs(term);
            }
            for (int c = 0; c < n; c++) {
                double gh = (double) g[r * n + c] * w[c];
                double xc = x[r * n + c];
                gx[r * n + c] = s * (gh - xc * s * s * dot / n);
                gxScale[r * n + c] = s * (Math.abs(gh) + Math.abs(xc) * s * s * dotAbs / n);
                double h = Int8Reference.round((float) (xc * s), t);
                gw[c] += g[r * n + c] * h;
                gwScale[c] += Math.abs(g[r * n + c] * h);
            }
        }
        return new double[][] {gx, gxScale, gw, gwScale};
    }

    /** x * cos + rotate_half(x) * sin, cos and sin rounded to t; x [tokens(batch·T), heads, d]. */
    static double[][] rope(float[] x, float[] inv, int batch, int tokens, int heads, int d, long start, DType t) {
        int half = d / 2;
        double[] out = new double[x.length];
        double[] scale = new double[x.length];
        for (int bt = 0; bt < batch * tokens; bt++) {
            float position = (float) (start + bt % tokens);
            for (int i = 0; i < half; i++) {
                float angle = inv[i] * position;
                double c = Int8Reference.round((float) Math.cos(angle), t);
                double s = Int8Reference.round((float) Math.sin(angle), t);
                for (int h = 0; h < heads; h++) {
                    int base = (bt * heads + h) * d;
                    double a = x[base + i];
                    double b = x[base + i + half];
                    out[base + i] = a * c - b * s;
                    out[base + i + half] = b * c + a * s;
                    scale[base + i] = Math.abs(a) + Math.abs(b);
                    scale[base + i + half] = scale[base + i];
                }
            }
        }
        return new double[][] {out, scale};
    }

    /**
     * Causal GQA: q [batch, T, hq, d]; k, v [batch, stride, hkv, d] with kvLen valid positions; the queries at the
     * last T positions. Returns out and, as its scale, max |v| over the positions attended.
     */
    static double[][] attention(float[] q, float[] k, float[] v, int batch, int tokens, int hq, int hkv, int d,
                                int kvLen, int stride) {
        int group = hq / hkv;
        double scaleFactor = (float) (1.0 / Math.sqrt(d));
        double[] out = new double[q.length];
        double[] scale = new double[q.length];
        double[] s = new double[kvLen];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < hq; h++) {
                    int row = (b * tokens + t) * hq + h;
                    int last = kvLen - tokens + t;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= last; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += (double) q[row * d + e] * k[((b * stride + j) * hkv + h / group) * d + e];
                        }
                        s[j] = dot * scaleFactor;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= last; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int e = 0; e < d; e++) {
                        double acc = 0;
                        double vmax = 0;
                        for (int j = 0; j <= last; j++) {
                            double vj = v[((b * stride + j) * hkv + h / group) * d + e];
                            acc += s[j] / sum * vj;
                            vmax = Math.max(vmax, Math.abs(vj));
                        }
                        out[row * d + e] = acc;
                        scale[row * d + e] = vmax;
                    }
                }
            }
        }
        return new double[][] {out, scale};
    }

    static double[] softmax(float[] x, int n) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / n; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                max = Math.max(max, x[r * n + c]);
            }
            double sum = 0;
            for (int c = 0; c < n; c++) {
                sum += Math.exp(x[r * n + c] - max);
            }
            for (int c = 0; c < n; c++) {
                out[r * n + c] = Math.exp(x[r * n + c] - max) / sum;
            }
        }
        return out;
    }
}
