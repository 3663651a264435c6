// The scalars of an optimizer step (part of common/optim_math.h, whose floating-point discipline holds
// here): the rules, the hyper-parameters with their derived values, the per-tensor step constants the
// host computes, and the element predicates every rule uses.
#pragma once

#include <math.h>
#include <stdint.h>

#include "bnb/optim.h"
#include "common/host_device.h"

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

inline Scalars make_scalars(const bnb_optim_hparams& h) {
    Scalars s;
    s.lr = h.lr;
    s.beta1 = h.beta1;
    s.beta2 = h.beta2;
    s.beta3 = h.beta3;
    s.alpha = h.alpha;
    s.eps = h.eps;
    s.weight_decay = h.weight_decay;
    s.max_unorm = h.max_unorm;
    s.one_minus_beta1 = 1.0f - h.beta1;
    s.one_minus_beta2 = 1.0f - h.beta2;
    s.one_minus_beta3 = 1.0f - h.beta3;
    const float lr_wd = h.lr * h.weight_decay;
    s.decay = 1.0f - lr_wd;
    s.percentile = h.percentile;
    s.skip_zeros = h.skip_zeros != 0;
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

}  // namespace optim
}  // namespace bnb
