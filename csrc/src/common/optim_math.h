// The per-element arithmetic of the optimizer kernels, shared by the CPU library and the CUDA plugin so
// that both compute the same bits: 32-bit state gives bit-identical parameters and state, 8-bit state
// identical codes and absmax (spec §3.14-§3.18; what upstream computes, operation for operation).
//
// Floating-point discipline, which the bit-identity rests on:
//  - Every operation is a single IEEE float operation, rounded to nearest, evaluated in the order
//    written (parenthesised as upstream's CUDA kernels are). No fast math, no flush to zero, and no
//    contraction of a*b+c into an FMA: the CPU files compile with -ffp-contract=off and the CUDA
//    files with --fmad=false (csrc/CMakeLists.txt). sqrtf and '/' are correctly rounded on both.
//  - Upstream's __fdividef(a, b) is modelled as a * (1 / b) with a correctly rounded reciprocal
//    (fdividef() below): that is what the intrinsic approximates (MUFU.RCP, then a multiply).
//  - The bias corrections depend only on (beta, step) per tensor: the host computes them once per
//    tensor with the same code in both libraries (step_constants()), so no powf runs on the GPU.
//  - Reductions over a whole tensor (gradient norm, update norm, parameter norm) are summed in
//    double, then rounded to float. Their order differs between the backends, so the float sums are
//    identical unless a double sum lies within ~1e-16 of a float rounding boundary.
//  - Where upstream stores an intermediate into a 16-bit register (T), the code rounds through the
//    parameter dtype with Rnd::apply (identity for F32), so F16/BF16 parameters round where upstream
//    rounds.
#pragma once

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bnb/bnb.h"
#include "common/float_bits.h"
#include "common/host_device.h"
#include "common/step_table.h"

namespace bnb {
namespace optim {

constexpr int kBlock = BNB_OPTIM_STATE_BLOCK;
constexpr int kHistory = BNB_OPTIM_GNORM_HISTORY;
static_assert(kBlock == 256, "the CUDA kernels map one state block onto one warp of 32 x 8 elements");

// The element-wise rules. LAMB runs kAdam and LARS kMomentum, each with the update-norm cap.
enum Rule : int { kAdam = 0, kAdemamix = 1, kMomentum = 2, kRmsprop = 3, kAdagrad = 4, kLion = 5 };

BNB_HD constexpr bool two_state(int rule) { return rule == kAdam || rule == kAdemamix; }

// Hyper-parameters shared by every tensor of a call, with the derived values upstream computes
// inline (the same IEEE results whether computed once or per element).
struct Scalars {
    float lr, beta1, beta2, beta3, alpha, eps, weight_decay, max_unorm;
    float one_minus_beta1, one_minus_beta2, one_minus_beta3;
    float decay;  // 1 - lr * weight_decay
    int32_t percentile;
    int32_t skip_zeros;
};

inline Scalars make_scalars(float lr, float beta1, float beta2, float beta3, float alpha, float eps,
                            float weight_decay, float max_unorm, int32_t percentile, int32_t skip_zeros) {
    Scalars s;
    s.lr = lr;
    s.beta1 = beta1;
    s.beta2 = beta2;
    s.beta3 = beta3;
    s.alpha = alpha;
    s.eps = eps;
    s.weight_decay = weight_decay;
    s.max_unorm = max_unorm;
    s.one_minus_beta1 = 1.0f - beta1;
    s.one_minus_beta2 = 1.0f - beta2;
    s.one_minus_beta3 = 1.0f - beta3;
    const float lr_wd = lr * weight_decay;
    s.decay = 1.0f - lr_wd;
    s.percentile = percentile;
    s.skip_zeros = skip_zeros != 0;
    return s;
}

// Per-tensor constants of one step (host computed).
struct StepConstants {
    int32_t step;
    float c1;          // 1 - beta1^t
    float c2;          // sqrt(1 - beta2^t)
    float eps_c2;      // eps * c2 (Adam's denominator term)
    float step_size;   // 32-bit state: -lr * c2 / c1
    float step_size8;  // 8-bit state: __fdividef(-lr * c2, c1)
    float pc1;         // 1 / (1 - beta1^t): the update-norm pre-pass
    float pc2;         // 1 / (1 - beta2^t)
};

// beta^step in float: computed in double (glibc pow is correctly rounded in practice) and rounded
// once, where upstream calls powf (32-bit kernels) or __powf (8-bit kernels).
inline float float_pow(float beta, int32_t step) {
    return static_cast<float>(pow(static_cast<double>(beta), static_cast<double>(step)));
}

BNB_HD inline float fdividef(float a, float b) {
    const float reciprocal = 1.0f / b;
    return a * reciprocal;
}

inline StepConstants step_constants(const Scalars& s, int32_t step) {
    StepConstants k;
    k.step = step;
    const float p1 = float_pow(s.beta1, step);
    const float p2 = float_pow(s.beta2, step);
    k.c1 = 1.0f - p1;
    k.c2 = sqrtf(1.0f - p2);
    k.eps_c2 = s.eps * k.c2;
    const float neg_lr_c2 = -s.lr * k.c2;
    k.step_size = neg_lr_c2 / k.c1;
    k.step_size8 = fdividef(neg_lr_c2, k.c1);
    k.pc1 = 1.0f / (1.0f - p1);
    k.pc2 = 1.0f / (1.0f - p2);
    return k;
}

// Rounding through the parameter dtype, where upstream keeps a value in a T register.
struct NoRound {
    BNB_HD static float apply(float x) { return x; }
};

BNB_HD inline bool is_nan(float x) { return x != x; }
BNB_HD inline bool is_finite(float x) { return fabsf(x) < INFINITY; }  // false for NaN

// Upstream's sgn() for Lion: (0 < x) - (x < 0), so NaN gives 0.
BNB_HD inline float sgn(float x) { return static_cast<float>((0.0f < x) - (x < 0.0f)); }

BNB_HD inline bool skipped(const Scalars& s, int rule, float g_raw) {
    return rule != kAdemamix && s.skip_zeros && g_raw == 0.0f;
}

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

// ---- requantization ------------------------------------------------------------------------------
// Upstream requantizes optimizer state with quantize_2D<SIGNED>: dQuantize's 7-level binary search
// from pivot 127, keeping the last pivots passed below and above, then a comparison with the midpoint
// towards that neighbour (exact midpoint ties go to the even index). The bounds never passed are the
// constants -1 or 0 (below) and 1 (above), not code[0] and code[255] as in dQuantize.
//
// The search always ends on an even p (127 plus six even steps plus one odd one), and the last pivots
// passed below and above p are p - 1 and p + 1 (the in-order neighbours of a leaf of a binary search
// tree are its ancestors) or the never-moved bounds. So the final step depends on p alone:
//     x > code[p] ? p + (x > above[p]) : p - (x < below[p])
// with above[p] = (code[p + 1] + code[p]) * 0.5f, except above[254] = (1 + code[254]) * 0.5f, and
// below[p] = (code[p - 1] + code[p]) * 0.5f, except at p = 0, where both outcomes are 0 (so the lower
// bound, -1 or 0, never matters). A NaN x compares false everywhere and ends on index 0.
// OptimCodeTable tabulates that for shared memory; tests/optim_cpu_tests.cpp checks it against a
// literal port of quantize_2D.

// Index j of the code is kept at j + j / 32: one pad word per 32 entries spreads the pivots of a
// search level, which lie 256 / 2^k apart, over distinct shared-memory banks. For b a multiple of 2h,
// padded(b + h - 1) = padded(b) + padded(h - 1) and padded(b + h) = padded(b) + padded(h), so the search
// carries the padded byte offset of its base and every pivot load is at a constant offset from it.
BNB_HD constexpr int padded_code_index(int j) { return j + (j >> 5); }

// The final step for an even p, at padded_code_index(p).
struct alignas(16) OptimCodeEnd {
    float value;    // code[p]
    float below;    // (code[p - 1] + code[p]) / 2, -inf for p = 0
    float above;    // (code[p + 1] + code[p]) / 2, (1 + code[254]) / 2 for p = 254
    uint32_t info;  // p | sign(code[p - 1]) << 8 | sign(code[p]) << 9 | sign(code[p + 1]) << 10
};

struct OptimCodeTable {
    float pivots[264];        // code[j] at padded_code_index(j)
    OptimCodeEnd ends[264];   // even p at padded_code_index(p)
    float codes[256];         // code[j] at j, for dequantization
};

// The sign bit, with NaN read as positive: the GPU's canonical NaN is positive, x86's default NaN is
// not, and a NaN state must requantize to the same code on both.
BNB_HD inline bool negative(float x) {
    if (is_nan(x)) return false;
#if defined(__CUDA_ARCH__)
    return (__float_as_uint(x) >> 31) != 0;
#else
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u >> 31) != 0;
#endif
}

// Fills what index j (0..255) of code contributes; calls for different j are independent.
BNB_HD inline void fill_optim_code_table(OptimCodeTable& t, const float* code, int j) {
    t.pivots[padded_code_index(j)] = code[j];
    t.codes[j] = code[j];
    if ((j & 1) == 0) {
        OptimCodeEnd e;
        e.value = code[j];
        e.below = j > 0 ? (code[j - 1] + code[j]) * 0.5f : -INFINITY;
        e.above = j < 254 ? (code[j + 1] + code[j]) * 0.5f : (1.0f + code[j]) * 0.5f;
        e.info = static_cast<uint32_t>(j) | (j > 0 && negative(code[j - 1]) ? 1u << 8 : 0u) |
                 (negative(code[j]) ? 1u << 9 : 0u) | (negative(code[j + 1]) ? 1u << 10 : 0u);
        t.ends[padded_code_index(j)] = e;
    }
}

// The pivots of the first two search levels, kept in registers.
struct TablePivots {
    float c63, c127, c191;
};

BNB_HD inline TablePivots table_pivots(const OptimCodeTable& t) {
    return TablePivots{t.pivots[padded_code_index(63)], t.pivots[padded_code_index(127)],
                       t.pivots[padded_code_index(191)]};
}

BNB_HD inline float table_code(const OptimCodeTable& t, int c) { return t.codes[c]; }

// quantize_2D's index of x (low byte) and whether that code is negative (bit 8).
BNB_HD inline uint32_t search_code_info(const OptimCodeTable& t, const TablePivots& r, float x) {
    const char* pivots = reinterpret_cast<const char*>(t.pivots);
    const bool up = x > r.c127;
    int base = up ? 4 * padded_code_index(128) : 0;  // byte offset of padded_code_index(b)
    if (x > (up ? r.c191 : r.c63)) base += 4 * padded_code_index(64);
    BNB_UNROLL
    for (int h = 32; h >= 2; h >>= 1) {
        const float pivot = *reinterpret_cast<const float*>(pivots + base + 4 * padded_code_index(h - 1));
        if (x > pivot) base += 4 * padded_code_index(h);
    }
    const OptimCodeEnd e = *reinterpret_cast<const OptimCodeEnd*>(reinterpret_cast<const char*>(t.ends) + 4 * base);
    const int step = x > e.value ? static_cast<int>(x > e.above) : -static_cast<int>(x < e.below);
    const uint32_t index = (e.info + static_cast<uint32_t>(step)) & 0xffu;
    return index | (((e.info >> (9 + step)) & 1u) << 8);
}

BNB_HD inline uint8_t search_code(const OptimCodeTable& t, const TablePivots& r, float x) {
    return static_cast<uint8_t>(search_code_info(t, r, x));
}

// The sign fix of state x given the search's found = index | sign of its code << 8: a code whose value
// has the other sign than the state moves one step towards the state's sign (unsigned char arithmetic,
// so 0 - 1 wraps to 255).
BNB_HD inline uint8_t sign_fixed(uint32_t found, float x) {
    const bool fix = ((found >> 8) != 0) != negative(x);
    const uint32_t moved = x > 0.0f ? found + 1u : found - 1u;
    return static_cast<uint8_t>(fix ? moved : found);
}

// First moments: the signed map, then the sign fix.
BNB_HD inline uint8_t requantize_signed(const OptimCodeTable& t, const TablePivots& r, float x, float inv_absmax) {
    return sign_fixed(search_code_info(t, r, x * inv_absmax), x);
}

// search_code_info(NaN) for every code book: no pivot is passed, so index 0, with code[0]'s sign. (A NaN
// x * inv_absmax is common: a block of zeros has inv_absmax = +inf.)
BNB_HD inline uint32_t nan_code_info(float code0) { return negative(code0) ? 1u << 8 : 0u; }

// Second moments: the unsigned map, no sign fix.
BNB_HD inline uint8_t requantize_unsigned(const OptimCodeTable& t, const TablePivots& r, float x, float inv_absmax) {
    return search_code(t, r, x * inv_absmax);
}

// ---- requantization by step table (the GPU's fast path) -----------------------------------------------
// requantize_signed(x, inv) and requantize_unsigned(x, inv) read as functions of y = x * inv off step
// tables (common/step_table.h), built with the searches themselves: F1(y) = requantize_signed(y, 1) for
// first moments, F2(y) = search_code(y) for second moments. Why that is exact:
//  - quantize_2D's index R(y) is non-decreasing in y for every code book (the argument of
//    common/quant_search.h's quantize_table_entry() holds step for step: pivots, leaves, the midpoints
//    towards the last pivots passed).
//  - F2 = R. Its table keys |y| only, so y with the sign bit set take the fallback.
//  - F1, when the signed book is sign-ordered (code[c] has the sign bit exactly for c < negatives) and
//    R(+0) >= negatives: the sign fix makes F1 = R + [R < negatives] for y > 0, R - [R >= negatives]
//    for y with the sign bit set, R(+0) at +0, non-decreasing over each bucket (buckets do not mix signs).
//    And F1(x * inv) = requantize_signed(x, inv) for non-NaN x * inv: inv = 1 / absmax is positive,
//    or +0 or +inf (then y = x * inv is +-0 or NaN), so y has x's sign bit, and x > 0 differs from
//    y > 0 only where y = +0, whose code R(+0) needs no fix either way. Otherwise F1's table is all
//    fallback.
//  - NaN y (0 * inf, inf * 0, a NaN state) lands in a huge bucket: the caller runs the search on x.
// 64 buckets per binade of |y| from 2^-24 to 2 hold at most one step of the signed dynamic map, 128 of
// the unsigned one.
using SignedStateTable = StepTable<6, 127 - 24, 25, true>;
using UnsignedStateTable = StepTable<7, 127 - 24, 25, false>;

// Whether code[j] keeps the sign order (no sign bit after a code without).
BNB_HD inline bool sign_ordered_at(const float* code, int j) { return !(j > 0 && negative(code[j]) && !negative(code[j - 1])); }

// Entry i of the first-moment table of the signed book t (sign-ordered, zero_ok: R(+0) >= negatives), or a
// fallback entry when it is not.
BNB_HD inline uint32_t signed_state_entry(const OptimCodeTable& t, const TablePivots& r, bool regular, int i) {
    if (!regular) return kStepFallback;
    return step_entry<SignedStateTable>(i, [&](float y) { return static_cast<int>(requantize_signed(t, r, y, 1.0f)); });
}

BNB_HD inline uint32_t unsigned_state_entry(const OptimCodeTable& t, const TablePivots& r, int i) {
    return step_entry<UnsignedStateTable>(i, [&](float y) { return static_cast<int>(search_code(t, r, y)); });
}

// What the tables leave to the search (an entry that falls back), from the search tables t: requantize_*
// of x, where a NaN y = x * inv_absmax needs no search.
BNB_HD inline uint8_t signed_state_fallback(const OptimCodeTable& t, uint32_t nan_info, float x, float inv_absmax) {
    return is_nan(x * inv_absmax) ? sign_fixed(nan_info, x) : requantize_signed(t, table_pivots(t), x, inv_absmax);
}

BNB_HD inline uint8_t unsigned_state_fallback(const OptimCodeTable& t, float x, float inv_absmax) {
    return is_nan(x * inv_absmax) ? 0 : requantize_unsigned(t, table_pivots(t), x, inv_absmax);
}

// Whether the signed book t with `negatives` sign-bit codes, all first, may use its step table.
BNB_HD inline bool signed_table_regular(const OptimCodeTable& t, const TablePivots& r, bool sign_ordered,
                                        uint32_t negatives) {
    return sign_ordered && search_code(t, r, 0.0f) >= negatives;
}

// The running block maximum: fmaxf ignores NaN, and an all-NaN block stays at -FLT_MAX, as upstream.
BNB_HD inline float absmax_init() { return -FLT_MAX; }
BNB_HD inline float absmax_add(float acc, float x) { return fmaxf(acc, fabsf(x)); }

// Codes loaded for lanes past n (cub's BlockLoad defaults in upstream): they take part in the absmax.
constexpr uint8_t kPadCode1 = 128;
constexpr uint8_t kPadCode2 = 0;

// ---- update-norm cap and percentile clipping -------------------------------------------------------

// u_s from the sums of u^2 and p^2 (as stored in scratch[0], scratch[1]). Upstream: 2-state compares
// sqrt(unorm) with max_unorm * ||p||, 1-state with max_unorm * ||p|| + eps.
BNB_HD inline float update_scale(int rule, const Scalars& s, float unorm_sum, float pnorm_sum) {
    if (!(s.max_unorm > 0.0f)) return 1.0f;
    const float unorm = sqrtf(unorm_sum);
    const float pnorm = sqrtf(pnorm_sum);
    float limit = s.max_unorm * pnorm;
    if (!two_state(rule)) limit = limit + s.eps;
    return unorm > limit ? limit / unorm : 1.0f;
}

// Ascending order with NaN last (torch.sort); equal values keep their index order.
BNB_HD inline bool sorts_before(float a, float b) { return !is_nan(a) && (is_nan(b) || a < b); }

// Position of h[i] in the stable ascending sort of h[0..count).
BNB_HD inline int sorted_rank(const float* h, int count, int i) {
    int rank = 0;
    for (int j = 0; j < count; ++j) rank += sorts_before(h[j], h[i]) || (j < i && !sorts_before(h[i], h[j]));
    return rank;
}

// sort(h)[k] of the history h[0..kHistory).
BNB_HD inline float sorted_value(const float* h, int k) {
    for (int i = 0; i < kHistory; ++i)
        if (sorted_rank(h, kHistory, i) == k) return h[i];
    return h[0];  // unreachable: the ranks are a permutation
}

// gnorm_scale of spec §3.18 from the squared norm of this step and the percentile-th smallest squared
// norm of the history: clip / current when current > clip, else 1.
BNB_HD inline float clip_scale(float current_sq, float kth_sq) {
    const float current = sqrtf(current_sq);
    const float clip = sqrtf(kth_sq);
    return current > clip ? clip / current : 1.0f;
}

}  // namespace optim
}  // namespace bnb
