// The update rules of 8-bit blockwise optimizer state, one element at a time, and the block maximum they
// feed (part of common/optim_math.h).
#pragma once

#include <float.h>

#include "common/optim/scalars.h"

namespace bnb {
namespace optim {

// ---- 8-bit blockwise state (spec §3.16; upstream kOptimizerStatic8bit{2,1}StateBlockwise) --------
// An element goes through three stages: stage1 updates the dequantized states (then the block's new
// absmax is the max |state| over its 256 lanes, padding lanes included), stage2 updates the parameter,
// and requantize_* turn the states into codes with the new absmax.

// What stage1 leaves for stage2.
struct Pending {
    float upd;   // Lion: the T-rounded lr * sign(...)
    bool apply;  // whether stage2 updates the parameter
};

// Two-state rules (kAdam, kAdemamix). A NaN or infinite gradient zeroes the states and leaves p alone;
// a skipped element keeps its dequantized states. kPlain: the caller knows that g_raw is finite and not
// skipped, so the selects for those cases fall away.
template <int R, bool kPlain = false>
BNB_HD inline Pending stage1_two_state(const Scalars& s, float gs, float g_raw, float& m, float& v, float& m2) {
    const bool finite = kPlain || is_finite(g_raw);
    const bool keep = !kPlain && skipped(s, R, g_raw);
    const float g = g_raw * gs;
    const float nv = v * s.beta2 + (s.one_minus_beta2 * g) * g;
    const float nm = m * s.beta1 + s.one_minus_beta1 * g;
    v = !finite ? 0.0f : keep ? v : nv;
    m = !finite ? 0.0f : keep ? m : nm;
    if (R == kAdemamix) {
        const float nm2 = m2 * s.beta3 + s.one_minus_beta3 * g;
        m2 = !finite ? 0.0f : keep ? m2 : nm2;
    }
    return Pending{0.0f, finite && !keep};
}

// The rules whose 8-bit update divides by sqrt(root_input8) + denominator_term8: kAdam (the root of v),
// kRmsprop and kAdagrad (the root of the state).
BNB_HD constexpr bool divides8(int rule) { return rule == kAdam || rule == kRmsprop || rule == kAdagrad; }

template <int R>
BNB_HD inline float root_input8(float m, float v) {
    return R == kAdam ? v : m;
}

template <int R>
BNB_HD inline float denominator_term8(const Scalars& s, const StepConstants& k) {
    return R == kAdam ? k.eps_c2 : s.eps;
}

template <int R>
BNB_HD inline float denominator8(const Scalars& s, const StepConstants& k, float root) {
    return root + denominator_term8<R>(s, k);
}

// stage 2 given inv = 1 / denominator8(sqrtf(root_input8)) (upstream's __fdividef(a, b) = a * (1 / b)).
// AdEMAMix ignores inv (its divisions are IEEE divisions).
template <int R, class Rnd>
BNB_HD inline void stage2_two_state_inv(const Scalars& s, const StepConstants& k, float us, const Pending& e, float& p,
                                        float m, float v, float m2, float inv) {
    float np;
    if (R == kAdam) {
        const float scaled_step = us * k.step_size8;
        np = Rnd::apply(p + scaled_step * (m * inv));
    } else {
        const float numer = m / k.c1 + s.alpha * m2;
        const float denom = sqrtf(v) / k.c2 + s.eps;
        np = Rnd::apply(p - s.lr * (numer / denom));
    }
    np = s.weight_decay > 0.0f ? Rnd::apply(np * s.decay) : np;
    p = e.apply ? np : p;
}

template <int R, class Rnd>
BNB_HD inline void stage2_two_state(const Scalars& s, const StepConstants& k, float us, const Pending& e, float& p,
                                    float m, float v, float m2) {
    const float inv = R == kAdam ? 1.0f / denominator8<R>(s, k, sqrtf(root_input8<R>(m, v))) : 0.0f;
    stage2_two_state_inv<R, Rnd>(s, k, us, e, p, m, v, m2, inv);
}

// One-state rules (kMomentum, kRmsprop, kAdagrad, kLion); no NaN guard. p may change here (Lion's
// decoupled weight decay). A skipped element keeps its dequantized state. kPlain: g_raw is not skipped.
template <int R, class Rnd, bool kPlain = false>
BNB_HD inline Pending stage1_one_state(const Scalars& s, const StepConstants& k, float gs, float g_raw, float& p,
                                       float& m) {
    const bool keep = !kPlain && skipped(s, R, g_raw);
    const bool wd = s.weight_decay > 0.0f;
    float g = g_raw * gs;
    Pending e{0.0f, !keep};
    float nm;
    if (R == kLion) {
        const float np = wd ? Rnd::apply(p * s.decay) : p;
        p = keep ? p : np;
        e.upd = Rnd::apply(s.lr * sgn(m * s.beta1 + s.one_minus_beta1 * g));
        nm = m * s.beta2 + s.one_minus_beta2 * g;
    } else {
        g = wd ? g + p * s.weight_decay : g;
        if (R == kMomentum)
            nm = k.step == 1 ? g : m * s.beta1 + g;
        else if (R == kRmsprop)
            nm = m * s.beta1 + s.one_minus_beta1 * (g * g);
        else
            nm = m + g * g;
    }
    m = keep ? m : nm;
    return e;
}

// RMSprop and Adagrad divide the raw gradient (no gradient scale, no weight decay), as upstream does;
// inv = 1 / denominator8(sqrtf(state)) for them, unused otherwise.
template <int R, class Rnd>
BNB_HD inline void stage2_one_state_inv(const Scalars& s, float us, const Pending& e, float g_raw, float& p, float m,
                                        float inv) {
    float np;
    if (R == kMomentum)
        np = Rnd::apply(p - us * (s.lr * m));
    else if (R == kLion)
        np = Rnd::apply(p - us * e.upd);
    else if (R == kRmsprop)
        np = Rnd::apply(p - us * (s.lr * (g_raw * inv)));
    else
        np = Rnd::apply(p - s.lr * (g_raw * inv));
    p = e.apply ? np : p;
}

template <int R, class Rnd>
BNB_HD inline void stage2_one_state(const Scalars& s, const StepConstants& k, float us, const Pending& e, float g_raw,
                                    float& p, float m) {
    const float inv = divides8(R) ? 1.0f / denominator8<R>(s, k, sqrtf(root_input8<R>(m, 0.0f))) : 0.0f;
    stage2_one_state_inv<R, Rnd>(s, us, e, g_raw, p, m, inv);
}

// u^2 of the update-norm pre-pass for 8-bit state (an extension: upstream has no 8-bit LAMB/LARS):
// the 32-bit pre-pass terms, computed from the dequantized state with the 8-bit state update.
template <int R>
BNB_HD inline float unorm_term8(const Scalars& s, const StepConstants& k, float gs, float g_raw, float m, float v) {
    if (R == kAdemamix || skipped(s, R, g_raw)) return 0.0f;
    if (two_state(R) && !is_finite(g_raw)) return 0.0f;
    const float g = g_raw * gs;
    float u;
    if (R == kAdam) {
        v = v * s.beta2 + (s.one_minus_beta2 * g) * g;
        m = m * s.beta1 + s.one_minus_beta1 * g;
        m = m * k.pc1;
        v = v * k.pc2;
        u = m / (sqrtf(v) + s.eps);
    } else if (R == kMomentum) {
        u = k.step == 1 ? g : m * s.beta1 + g;
    } else if (R == kLion) {
        u = sgn(m * s.beta1 + s.one_minus_beta1 * g);
    } else if (R == kRmsprop) {
        m = m * s.beta1 + s.one_minus_beta1 * (g * g);
        u = fdividef(g, sqrtf(m) + s.eps);
    } else {
        m = m + g * g;
        u = fdividef(g, sqrtf(m) + s.eps);
    }
    return u * u;
}

// The running block maximum: fmaxf ignores NaN, and an all-NaN block stays at -FLT_MAX, as upstream.
BNB_HD inline float absmax_init() { return -FLT_MAX; }
BNB_HD inline float absmax_add(float acc, float x) { return fmaxf(acc, fabsf(x)); }

// Codes loaded for lanes past n (cub's BlockLoad defaults in upstream): they take part in the absmax.
constexpr uint8_t kPadCode1 = 128;
constexpr uint8_t kPadCode2 = 0;

}  // namespace optim
}  // namespace bnb
