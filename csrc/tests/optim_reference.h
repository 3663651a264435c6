// The plain references of the optimizer tests: upstream's quantize_2D, literally, and the update rules
// of the spec (§3.15, §3.16) in float, with the checks that compare a stepped slot against them.
#pragma once

#include "common/optim_math.h"
#include "optim_harness.h"

namespace optest {

// ---- reference --------------------------------------------------------------------------------------

// upstream's quantize_2D<SIGNED>, literally.
inline int quantize_2d(const float* code, bool is_signed, float x) {
    int pivot = 127, upper_pivot = 255, lower_pivot = 0;
    float lower = is_signed ? -1.0f : 0.0f, upper = 1.0f;
    float val = code[127];
    for (int i = 64; i > 0; i >>= 1) {
        if (x > val) {
            lower_pivot = pivot;
            lower = val;
            pivot += i;
        } else {
            upper_pivot = pivot;
            upper = val;
            pivot -= i;
        }
        val = code[pivot];
    }
    if (x > val) {
        float midpoint = (upper + val) * 0.5f;
        return x > midpoint ? upper_pivot : pivot;
    }
    float midpoint = (lower + val) * 0.5f;
    return x < midpoint ? lower_pivot : pivot;
}

inline int requantize_ref(const float* code, bool is_signed, float s, float absmax) {
    int c = quantize_2d(code, is_signed, s * (1.0f / absmax));
    if (is_signed) {
        bool neg_code = signbit(code[c]) != 0, neg_s = !isnan(s) && signbit(s) != 0;
        if (neg_code != neg_s) c = static_cast<uint8_t>(s > 0.0f ? c + 1 : c - 1);
    }
    return c;
}

inline float sign_of(float x) { return static_cast<float>((0.0f < x) - (x < 0.0f)); }

struct Expected {
    std::vector<float> p, s1, s2;  // 32-bit: states; 8-bit: the states before requantization
    std::vector<float> a1, a2;     // 8-bit: new absmax
};

// The spec's formulas, in float, for one slot (gs = 1, us = 1 unless given).
inline Expected reference(const Config& c, const Slot& s, const float* q1, const float* q2, float gs = 1.0f,
                   float us = 1.0f) {
    Expected e;
    const int64_t n = s.n, t = s.step;
    const bool two = two_state(c.opt);
    const bool slow = c.opt == BNB_OPTIM_ADEMAMIX;
    const float c1 = 1.0f - static_cast<float>(pow(c.beta1, static_cast<double>(t)));
    const float c2 = sqrtf(1.0f - static_cast<float>(pow(c.beta2, static_cast<double>(t))));
    const float decay = 1.0f - c.lr * c.weight_decay;
    const bool wd = c.weight_decay > 0.0f;
    auto R = [&](float v) { return round_param(c.dtype, v); };
    const int64_t blocks = blocks_of(n);
    const int64_t lanes = c.bits == 8 ? blocks * kBlock : n;  // 8-bit: padding lanes too
    e.p.resize(lanes);
    e.s1.resize(lanes * (slow ? 2 : 1));
    e.s2.resize(lanes);
    std::vector<bool> applied(lanes, true);
    std::vector<float> upd(lanes, 0.0f);
    for (int64_t i = 0; i < lanes; ++i) {
        const bool real = i < n;
        float g = real ? load_param(c.dtype, s.g.data(), i) : 0.0f;
        const float graw = g;
        float p = real ? load_param(c.dtype, s.p.data(), i) : 0.0f;
        float m, v = 0.0f, m2 = 0.0f;
        if (c.bits == 32) {
            memcpy(&m, s.s1.data() + 4 * i, 4);
            if (two) memcpy(&v, s.s2.data() + 4 * i, 4);
            if (slow) memcpy(&m2, s.s1.data() + 4 * (n + i), 4);
        } else {
            const int64_t b = i / kBlock;
            m = q1[real ? s.s1[i] : 128] * s.a1[b];
            if (two) v = q2[real ? s.s2[i] : 0] * s.a2[b];
            if (slow) m2 = q1[real ? s.s1[n + i] : 128] * s.a1[blocks + b];
        }
        const bool skip = c.skip_zeros && !slow && graw == 0.0f;
        if (c.bits == 32) g = R(g * gs);
        else g = g * gs;
        switch (c.opt) {
            case BNB_OPTIM_ADAM:
            case BNB_OPTIM_LAMB:
            case BNB_OPTIM_ADEMAMIX:
                if (c.bits == 8 && !(std::isfinite(graw))) {
                    m = v = m2 = 0.0f;
                    applied[i] = false;
                    break;
                }
                if (skip) {
                    applied[i] = false;
                    break;
                }
                m = c.beta1 * m + (1.0f - c.beta1) * g;
                v = c.beta2 * v + (1.0f - c.beta2) * g * g;
                if (slow) {
                    m2 = c.beta3 * m2 + (1.0f - c.beta3) * g;
                    p = R(p - c.lr * ((m / c1 + c.alpha * m2) / (sqrtf(v) / c2 + c.eps)));
                } else {
                    p = R(p + us * (-c.lr * c2 / c1) * (m / (sqrtf(v) + c.eps * c2)));
                }
                if (wd) p = R(p * decay);
                break;
            case BNB_OPTIM_MOMENTUM:
            case BNB_OPTIM_LARS:
            case BNB_OPTIM_RMSPROP:
            case BNB_OPTIM_ADAGRAD: {
                if (skip) {
                    applied[i] = false;
                    break;
                }
                if (wd) g = c.bits == 32 ? R(g + c.weight_decay * p) : g + c.weight_decay * p;
                if (c.opt == BNB_OPTIM_MOMENTUM || c.opt == BNB_OPTIM_LARS) {
                    m = t == 1 ? g : c.beta1 * m + g;
                    p = R(p - us * c.lr * m);
                } else {
                    // 8-bit: the numerator is the raw gradient (spec §3.16 quirk).
                    const float num = c.bits == 8 ? graw : g;
                    if (c.opt == BNB_OPTIM_RMSPROP)
                        m = c.beta1 * m + (1.0f - c.beta1) * g * g;
                    else
                        m = m + g * g;
                    const float scale = c.opt == BNB_OPTIM_RMSPROP ? us : 1.0f;
                    p = R(p - scale * c.lr * num / (sqrtf(m) + c.eps));
                }
                break;
            }
            case BNB_OPTIM_LION:
                if (skip) {
                    applied[i] = false;
                    break;
                }
                if (wd) p = R(p * decay);
                upd[i] = R(c.lr * sign_of(c.beta1 * m + (1.0f - c.beta1) * g));
                p = R(p - us * upd[i]);
                m = c.beta2 * m + (1.0f - c.beta2) * g;
                break;
        }
        e.p[i] = p;
        e.s1[i] = m;
        e.s2[i] = v;
        if (slow) e.s1[lanes + i] = m2;
    }
    if (c.bits == 8) {
        e.a1.assign(blocks * (slow ? 2 : 1), -FLT_MAX);
        e.a2.assign(blocks, -FLT_MAX);
        for (int64_t i = 0; i < lanes; ++i) {
            const int64_t b = i / kBlock;
            e.a1[b] = fmaxf(e.a1[b], fabsf(e.s1[i]));
            e.a2[b] = fmaxf(e.a2[b], fabsf(e.s2[i]));
            if (slow) e.a1[blocks + b] = fmaxf(e.a1[blocks + b], fabsf(e.s1[lanes + i]));
        }
    }
    return e;
}

inline bool close(float got, float want, float rel, float abs_tol) {
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    return fabsf(got - want) <= rel * fabsf(want) + abs_tol;
}

inline float param_tolerance(int32_t dtype) { return dtype == BNB_F32 ? 2e-6f : dtype == BNB_F16 ? 2e-3f : 1.6e-2f; }

// The code got for state value x (absmax a) is the reference's, or the other side of a near tie (the
// reference state is computed in a slightly different order).
inline bool code_ok(const float* code, int got, int want, float x, float a) {
    if (got == want) return true;
    const double dg = fabs(static_cast<double>(code[got]) * a - x);
    const double dw = fabs(static_cast<double>(code[want]) * a - x);
    return fabs(dg - dw) <= 1e-6 * a && (signbit(code[got]) == signbit(code[want]) || code[got] == 0.0f);
}

// gnorm_scale of a step with percentile clipping (spec §3.18), and the history it leaves.
inline float expected_clip_scale(const Config& c, const Slot& s, std::vector<float>* history) {
    double sq = 0.0;
    for (int64_t i = 0; i < s.n; ++i) {
        const double g = load_param(c.dtype, s.g.data(), i);
        sq += g * g;
    }
    std::vector<float> hist = s.gnorm;
    if (s.step == 1)
        std::fill(hist.begin(), hist.end(), static_cast<float>(sq));
    else
        hist[s.step % 100] = static_cast<float>(sq);
    if (history) *history = hist;
    std::vector<float> sorted = hist;
    std::sort(sorted.begin(), sorted.end());
    const float current = sqrtf(hist[s.step % 100]), clip = sqrtf(sorted[c.percentile]);
    return current > clip ? clip / current : 1.0f;
}

// Compares slot after one step with the reference computed from before.
inline void check_slot(const Config& c, const Slot& before, const Slot& after, const float* q1, const float* q2,
                const char* label, float gs = 1.0f, float us = 1.0f) {
    Expected e = reference(c, before, q1, q2, gs, us);
    const int64_t n = before.n;
    const bool two = two_state(c.opt), slow = c.opt == BNB_OPTIM_ADEMAMIX;
    const float tol = param_tolerance(c.dtype);
    for (int64_t i = 0; i < n; ++i) {
        const float got = load_param(c.dtype, after.p.data(), i);
        const float p0 = load_param(c.dtype, before.p.data(), i);
        CHECK_OR_RETURN(close(got, e.p[i], tol, 1e-7f + tol * fabsf(p0 - e.p[i])),
                        "%s: p[%lld] = %.9g, expected %.9g (was %.9g)", label, (long long)i, got, e.p[i], p0);
    }
    if (c.bits == 32) {
        for (int64_t i = 0; i < n * (slow ? 2 : 1); ++i) {
            float got;
            memcpy(&got, after.s1.data() + 4 * i, 4);
            const float want = slow && i >= n ? e.s1[n + (i - n)] : e.s1[i];
            CHECK_OR_RETURN(close(got, want, 1e-5f, 1e-9f), "%s: state1[%lld] = %.9g, expected %.9g", label,
                            (long long)i, got, want);
        }
        if (two)
            for (int64_t i = 0; i < n; ++i) {
                float got;
                memcpy(&got, after.s2.data() + 4 * i, 4);
                CHECK_OR_RETURN(close(got, e.s2[i], 1e-5f, 1e-12f), "%s: state2[%lld] = %.9g, expected %.9g", label,
                                (long long)i, got, e.s2[i]);
            }
        return;
    }
    const int64_t blocks = blocks_of(n), lanes = blocks * kBlock;
    for (int64_t b = 0; b < blocks; ++b) {
        CHECK_OR_RETURN(close(after.a1[b], e.a1[b], 1e-5f, 1e-12f), "%s: absmax1[%lld] = %.9g, expected %.9g",
                        label, (long long)b, after.a1[b], e.a1[b]);
        if (two)
            CHECK_OR_RETURN(close(after.a2[b], e.a2[b], 1e-5f, 1e-15f), "%s: absmax2[%lld] = %.9g, expected %.9g",
                            label, (long long)b, after.a2[b], e.a2[b]);
        if (slow)
            CHECK_OR_RETURN(close(after.a1[blocks + b], e.a1[blocks + b], 1e-5f, 1e-12f),
                            "%s: absmax1[%lld] = %.9g, expected %.9g", label, (long long)(blocks + b),
                            after.a1[blocks + b], e.a1[blocks + b]);
    }
    for (int64_t i = 0; i < n; ++i) {
        const int64_t b = i / kBlock;
        int want = requantize_ref(q1, true, e.s1[i], e.a1[b]);
        CHECK_OR_RETURN(code_ok(q1, after.s1[i], want, e.s1[i], e.a1[b]),
                        "%s: state1[%lld] = %d, expected %d (state %.9g, absmax %.9g)", label, (long long)i,
                        after.s1[i], want, e.s1[i], e.a1[b]);
        if (two) {
            want = requantize_ref(q2, false, e.s2[i], e.a2[b]);
            CHECK_OR_RETURN(code_ok(q2, after.s2[i], want, e.s2[i], e.a2[b]),
                            "%s: state2[%lld] = %d, expected %d (state %.9g)", label, (long long)i, after.s2[i], want,
                            e.s2[i]);
        }
        if (slow) {
            want = requantize_ref(q1, true, e.s1[lanes + i], e.a1[blocks + b]);
            CHECK_OR_RETURN(code_ok(q1, after.s1[n + i], want, e.s1[lanes + i], e.a1[blocks + b]),
                            "%s: state1[n + %lld] = %d, expected %d", label, (long long)i, after.s1[n + i], want);
        }
    }
}

struct Maps {
    std::vector<float> q1 = test::dynamic_map();
    std::vector<float> q2 = unsigned_dynamic_map();
};

}  // namespace optest
