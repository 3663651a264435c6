package io.github.bnb4j.optim;

/**
 * AdEMAMix's warm-up schedules (paper §3, bitsandbytes spec §3.17), evaluated in double precision per step as
 * upstream does in Python, then passed to the kernel as {@code alpha} and {@code beta3}.
 */
final class AdEMAMixSchedule {
    private AdEMAMixSchedule() {
    }

    /** {@code alpha_t = min(t·alpha / tAlpha, alpha)}; {@code alpha} when {@code tAlpha} is 0 (no schedule). */
    static float alpha(float alpha, int tAlpha, int step) {
        if (tAlpha == 0) {
            return alpha;
        }
        return (float) Math.min((double) step * alpha / tAlpha, alpha);
    }

    /**
     * {@code beta3_t = min(exp(ln b1·ln b3 / ((1−s)·ln b3 + s·ln b1)), b3)} with {@code s = t / tBeta3}: the
     * half-life of the slow EMA grows linearly from beta1's to beta3's. {@code beta3} when {@code tBeta3} is 0.
     */
    static float beta3(float beta1, float beta3, int tBeta3, int step) {
        if (tBeta3 == 0) {
            return beta3;
        }
        double lnStart = Math.log(beta1);
        double lnEnd = Math.log(beta3);
        double s = (double) step / tBeta3;
        double scheduled = Math.exp(lnStart * lnEnd / ((1 - s) * lnEnd + s * lnStart));
        // beta1 = 0 makes ln b1 infinite; the slow EMA then starts from 0 like the fast one
        return Double.isNaN(scheduled) ? 0f : (float) Math.min(scheduled, beta3);
    }
}
