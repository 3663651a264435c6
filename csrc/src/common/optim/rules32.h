// The update rules of 32-bit optimizer state, one element at a time (part of common/optim_math.h).
#pragma once

#include "common/optim/scalars.h"

namespace bnb {
namespace optim {

// ---- 32-bit state (spec §3.15; upstream kOptimizer32bit2State / kOptimizer32bit1State) ----------

// One element: p (a T value as float) and the states m (state1), v (state2), m2 (AdEMAMix's slow EMA
// at state1[n + i]) are updated in place. gs: gradient scale from percentile clipping; us: update
// scale from the update-norm cap. Skipped elements (skip_zeros and g == 0) keep everything. The new
// values are computed unconditionally and then selected, so that the GPU runs no per-element branches.
template <int R, class Rnd>
BNB_HD inline void update32(const Scalars& s, const StepConstants& k, float gs, float us, float g_raw, float& p,
                            float& m, float& v, float& m2) {
    const bool keep = skipped(s, R, g_raw);
    const bool wd = s.weight_decay > 0.0f;
    float g = Rnd::apply(gs * g_raw);
    if (R == kAdam) {
        const float nm = m * s.beta1 + s.one_minus_beta1 * g;
        const float nv = v * s.beta2 + s.one_minus_beta2 * (g * g);
        const float denom = sqrtf(nv) + k.eps_c2;
        const float scaled_step = us * k.step_size;
        float np = Rnd::apply(p + scaled_step * (nm / denom));
        np = wd ? Rnd::apply(np * s.decay) : np;
        m = keep ? m : nm;
        v = keep ? v : nv;
        p = keep ? p : np;
    } else if (R == kAdemamix) {
        m = m * s.beta1 + s.one_minus_beta1 * g;
        m2 = m2 * s.beta3 + s.one_minus_beta3 * g;
        v = v * s.beta2 + (s.one_minus_beta2 * g) * g;
        const float numer = m / k.c1 + s.alpha * m2;
        const float denom = sqrtf(v) / k.c2 + s.eps;
        p = Rnd::apply(p - s.lr * (numer / denom));
        p = wd ? Rnd::apply(p * s.decay) : p;
    } else if (R == kLion) {
        // Decoupled weight decay, as spec §3.15 and the 8-bit kernel (upstream's 32-bit CUDA kernel
        // instead adds wd * p to the gradient).
        float np = wd ? Rnd::apply(p * s.decay) : p;
        const float direction = sgn(m * s.beta1 + s.one_minus_beta1 * g);
        np = Rnd::apply(np - us * (s.lr * direction));
        const float nm = m * s.beta2 + s.one_minus_beta2 * g;
        m = keep ? m : nm;
        p = keep ? p : np;
    } else {
        g = wd ? Rnd::apply(g + p * s.weight_decay) : g;  // coupled L2
        float nm, np;
        if (R == kMomentum) {
            nm = k.step == 1 ? g : m * s.beta1 + g;
            np = Rnd::apply(p + us * (-s.lr * nm));
        } else if (R == kRmsprop) {
            nm = m * s.beta1 + (s.one_minus_beta1 * g) * g;
            np = Rnd::apply(p - us * (s.lr * fdividef(g, sqrtf(nm) + s.eps)));
        } else {  // kAdagrad: no update scale
            nm = m + g * g;
            np = Rnd::apply(p - s.lr * fdividef(g, sqrtf(nm) + s.eps));
        }
        m = keep ? m : nm;
        p = keep ? p : np;
    }
}

// The element's u^2 for the update-norm pre-pass (upstream kPreconditionOptimizer32bit*): computed
// from the state before this step, without weight decay. Lion (whose upstream pre-pass runs after the
// update and sums unsquared values) uses its update direction sign(...): u^2 is 0 or 1. AdEMAMix has
// no update-norm term. Skipped elements contribute 0.
template <int R, class Rnd>
BNB_HD inline float unorm_term32(const Scalars& s, const StepConstants& k, float gs, float g_raw, float m, float v) {
    if (R == kAdemamix || skipped(s, R, g_raw)) return 0.0f;
    const float g = Rnd::apply(gs * g_raw);
    float u;
    if (R == kAdam) {
        m = m * s.beta1 + s.one_minus_beta1 * g;
        v = v * s.beta2 + s.one_minus_beta2 * (g * g);
        m = m * k.pc1;
        v = v * k.pc2;
        u = m / (sqrtf(v) + s.eps);
    } else if (R == kMomentum) {
        u = k.step == 1 ? g : m * s.beta1 + g;
    } else if (R == kLion) {
        u = sgn(m * s.beta1 + s.one_minus_beta1 * g);
    } else if (R == kRmsprop) {
        m = m * s.beta1 + (s.one_minus_beta1 * g) * g;
        u = fdividef(g, sqrtf(m) + s.eps);
    } else {
        m = m + g * g;
        u = fdividef(g, sqrtf(m) + s.eps);
    }
    return u * u;
}

}  // namespace optim
}  // namespace bnb
