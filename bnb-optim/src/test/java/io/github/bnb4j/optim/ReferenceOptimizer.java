package io.github.bnb4j.optim;

import java.util.Arrays;

/**
 * A double-precision reference of the 32-bit update rules (bitsandbytes spec §3.15, with percentile clipping
 * of §3.18, the update-norm cap and AdEMAMix's schedules of §3.17), written from the formulas, independent of
 * the kernels. Works on one tensor.
 */
final class ReferenceOptimizer {
    enum Rule { ADAM, ADEMAMIX, MOMENTUM, RMSPROP, ADAGRAD, LION }

    private final Rule rule;
    private final OptimConfig c;
    final double[] m;
    final double[] v;
    final double[] m2;
    private final double[] history = new double[100];
    int step;

    ReferenceOptimizer(Rule rule, OptimConfig config, int n) {
        this.rule = rule;
        this.c = config;
        this.m = new double[n];
        this.v = new double[n];
        this.m2 = new double[n];
    }

    static Rule ruleOf(OptimizerKind kind) {
        return switch (kind) {
            case ADAM, ADAMW, LAMB -> Rule.ADAM;
            case ADEMAMIX -> Rule.ADEMAMIX;
            case SGD, LARS -> Rule.MOMENTUM;
            case RMSPROP -> Rule.RMSPROP;
            case ADAGRAD -> Rule.ADAGRAD;
            case LION -> Rule.LION;
        };
    }

    /** One update of {@code p} (in place) with gradient {@code grad}. */
    void step(double[] p, float[] grad) {
        step++;
        int n = p.length;
        double gs = c.percentileClipping() < 100 ? clipScale(grad) : 1.0;
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = gs * grad[i];
        }
        double us = c.maxUnorm() > 0 ? updateScale(p, g) : 1.0;
        double lr = c.lr();
        double wd = c.weightDecay();
        double b1 = c.beta1();
        double b2 = c.beta2();
        double eps = c.eps();
        double c1 = 1 - Math.pow(b1, step);
        double c2 = Math.sqrt(1 - Math.pow(b2, step));
        for (int i = 0; i < n; i++) {
            switch (rule) {
                case ADAM -> {
                    m[i] = b1 * m[i] + (1 - b1) * g[i];
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    p[i] += us * (-lr * c2 / c1) * m[i] / (Math.sqrt(v[i]) + eps * c2);
                    if (wd > 0) {
                        p[i] *= 1 - lr * wd;
                    }
                }
                case ADEMAMIX -> {
                    double alpha = c.tAlpha() == 0 ? c.alpha() : Math.min(step * (double) c.alpha() / c.tAlpha(),
                            c.alpha());
                    double b3 = beta3();
                    m[i] = b1 * m[i] + (1 - b1) * g[i];
                    m2[i] = b3 * m2[i] + (1 - b3) * g[i];
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    p[i] -= lr * (m[i] / c1 + alpha * m2[i]) / (Math.sqrt(v[i]) / c2 + eps);
                    if (wd > 0) {
                        p[i] *= 1 - lr * wd;
                    }
                }
                case MOMENTUM -> {
                    double gd = g[i] + wd * p[i];
                    m[i] = step == 1 ? gd : b1 * m[i] + gd;
                    p[i] -= us * lr * m[i];
                }
                case RMSPROP -> {
                    double gd = g[i] + wd * p[i];
                    m[i] = b1 * m[i] + (1 - b1) * gd * gd;
                    p[i] -= us * lr * gd / (Math.sqrt(m[i]) + eps);
                }
                case ADAGRAD -> {
                    double gd = g[i] + wd * p[i];
                    m[i] += gd * gd;
                    p[i] -= lr * gd / (Math.sqrt(m[i]) + eps);
                }
                case LION -> {
                    if (wd > 0) {
                        p[i] *= 1 - lr * wd;
                    }
                    p[i] -= us * lr * Math.signum(b1 * m[i] + (1 - b1) * g[i]);
                    m[i] = b2 * m[i] + (1 - b2) * g[i];
                }
                default -> throw new AssertionError(rule);
            }
        }
    }

    private double beta3() {
        double b3 = c.beta3();
        if (c.tBeta3() == 0) {
            return b3;
        }
        double s = (double) step / c.tBeta3();
        double lnB1 = Math.log(c.beta1());
        double lnB3 = Math.log(b3);
        return Math.min(Math.exp(lnB1 * lnB3 / ((1 - s) * lnB3 + s * lnB1)), b3);
    }

    /** Percentile clipping: history of squared norms, slot step % 100, all slots on step 1. */
    private double clipScale(float[] grad) {
        double sq = 0;
        for (float x : grad) {
            sq += (double) x * x;
        }
        int slot = step % 100;
        if (step == 1) {
            Arrays.fill(history, sq);
        } else {
            history[slot] = sq;
        }
        double[] sorted = history.clone();
        Arrays.sort(sorted);
        double current = Math.sqrt(history[slot]);
        double clip = Math.sqrt(sorted[c.percentileClipping()]);
        return current > clip ? clip / current : 1.0;
    }

    /** The update-norm cap: the norm of the update direction (before weight decay) against ‖p‖. */
    private double updateScale(double[] p, double[] g) {
        double b1 = c.beta1();
        double b2 = c.beta2();
        double usum = 0;
        double psum = 0;
        for (int i = 0; i < p.length; i++) {
            psum += p[i] * p[i];
            double u = switch (rule) {
                case ADAM -> {
                    double mi = b1 * m[i] + (1 - b1) * g[i];
                    double vi = b2 * v[i] + (1 - b2) * g[i] * g[i];
                    yield (mi / (1 - Math.pow(b1, step))) / (Math.sqrt(vi / (1 - Math.pow(b2, step))) + c.eps());
                }
                case MOMENTUM -> step == 1 ? g[i] : b1 * m[i] + g[i];
                case RMSPROP -> g[i] / (Math.sqrt(b1 * m[i] + (1 - b1) * g[i] * g[i]) + c.eps());
                case LION -> Math.signum(b1 * m[i] + (1 - b1) * g[i]);
                default -> 0.0; // Adagrad and AdEMAMix take no update scale
            };
            usum += u * u;
        }
        if (rule == Rule.ADAGRAD || rule == Rule.ADEMAMIX) {
            return 1.0;
        }
        double unorm = Math.sqrt(usum);
        double limit = c.maxUnorm() * Math.sqrt(psum) + (rule == Rule.ADAM ? 0 : c.eps());
        return unorm > limit ? limit / unorm : 1.0;
    }
}
