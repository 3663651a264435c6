// Host-side harness of the optimizer tests: tensors with their state in host memory, the call of
// bnb_*_optimizer_step over a list of them, and a plain reference of each update rule.
#pragma once

#include <functional>

#include "common/half_convert.h"
#include "test_util.h"

namespace optest {

constexpr int kBlock = BNB_OPTIM_STATE_BLOCK;

inline bool two_state(int32_t opt) {
    return opt == BNB_OPTIM_ADAM || opt == BNB_OPTIM_LAMB || opt == BNB_OPTIM_ADEMAMIX;
}
inline int64_t state1_factor(int32_t opt) { return opt == BNB_OPTIM_ADEMAMIX ? 2 : 1; }
inline int64_t blocks_of(int64_t n) { return n == 0 ? 0 : (n - 1) / kBlock + 1; }
inline int64_t dtype_size(int32_t dtype) { return dtype == BNB_F32 ? 4 : 2; }

inline float load_param(int32_t dtype, const uint8_t* base, int64_t i) {
    if (dtype == BNB_F32) {
        float v;
        memcpy(&v, base + 4 * i, 4);
        return v;
    }
    uint16_t h;
    memcpy(&h, base + 2 * i, 2);
    return dtype == BNB_F16 ? bnb::half_to_float(h) : bnb::bf16_to_float(h);
}

inline void store_param(int32_t dtype, uint8_t* base, int64_t i, float v) {
    if (dtype == BNB_F32) {
        memcpy(base + 4 * i, &v, 4);
        return;
    }
    uint16_t h = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
    memcpy(base + 2 * i, &h, 2);
}

inline float round_param(int32_t dtype, float v) {
    if (dtype == BNB_F32) return v;
    return dtype == BNB_F16 ? bnb::half_to_float(bnb::float_to_half(v)) : bnb::bf16_to_float(bnb::float_to_bf16(v));
}

// The unsigned dynamic map (spec 3.1): 0, 254 positives in decades of 2, 4, ..., 128, and 1.
inline std::vector<float> unsigned_dynamic_map() {
    std::vector<float> code;
    for (int i = 0; i < 7; ++i) {
        int k = (1 << (i + 1)) + 1;
        double scale = pow(10.0, i - 6);
        for (int j = 0; j + 1 < k; ++j) {
            double lo = 0.1 + 0.9 * j / (k - 1), hi = 0.1 + 0.9 * (j + 1) / (k - 1);
            code.push_back(static_cast<float>(scale * (lo + hi) / 2));
        }
    }
    code.push_back(0.0f);
    code.push_back(1.0f);
    std::sort(code.begin(), code.end());
    code.resize(256, 0.0f);
    std::sort(code.begin(), code.end());
    return code;
}

// All buffers of one tensor, in host memory (raw bytes, so that the same code serves every dtype).
struct Slot {
    int64_t n = 0;
    int32_t step = 1;
    std::vector<uint8_t> p, g, s1, s2;
    std::vector<float> a1, a2, scratch, gnorm;
};

struct Config {
    int32_t opt = BNB_OPTIM_ADAM;
    int32_t dtype = BNB_F32;
    int32_t bits = 32;
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, beta3 = 0.9999f, alpha = 5.0f, eps = 1e-8f;
    float weight_decay = 0.0f, max_unorm = 0.0f;
    int32_t percentile = 100;
    int32_t skip_zeros = 0;
};

// A slot of n elements with random parameters, gradients and state (8-bit: random codes with
// plausible absmax; the unsigned state gets codes of the unsigned map).
inline Slot make_slot(const Config& c, int64_t n, int32_t step, test::Random& rng) {
    Slot s;
    s.n = n;
    s.step = step;
    const int64_t ds = dtype_size(c.dtype);
    s.p.resize(n * ds);
    s.g.resize(n * ds);
    for (int64_t i = 0; i < n; ++i) {
        store_param(c.dtype, s.p.data(), i, rng.normal());
        store_param(c.dtype, s.g.data(), i, rng.normal() * 0.1f);
    }
    const int64_t f = state1_factor(c.opt);
    const bool two = two_state(c.opt);
    if (c.bits == 32) {
        s.s1.resize(n * f * 4);
        for (int64_t i = 0; i < n * f; ++i) {
            float v = rng.normal() * 0.05f;
            memcpy(s.s1.data() + 4 * i, &v, 4);
        }
        if (two) {
            s.s2.resize(n * 4);
            for (int64_t i = 0; i < n; ++i) {
                float v = fabsf(rng.normal()) * 0.01f;
                memcpy(s.s2.data() + 4 * i, &v, 4);
            }
        }
        if (c.opt == BNB_OPTIM_RMSPROP || c.opt == BNB_OPTIM_ADAGRAD)
            for (int64_t i = 0; i < n; ++i) {
                float v = fabsf(rng.normal()) * 0.01f;
                memcpy(s.s1.data() + 4 * i, &v, 4);
            }
    } else {
        const int64_t blocks = blocks_of(n);
        s.s1.resize(n * f);
        const bool positive1 = c.opt == BNB_OPTIM_RMSPROP || c.opt == BNB_OPTIM_ADAGRAD;
        for (auto& c1 : s.s1) c1 = static_cast<uint8_t>(positive1 ? 128 + rng.below(128) : rng.below(256));
        s.a1.resize(blocks * f);
        for (auto& a : s.a1) a = 0.01f + fabsf(rng.normal()) * 0.05f;
        if (two) {
            s.s2.resize(n);
            for (auto& c2 : s.s2) c2 = static_cast<uint8_t>(rng.below(256));
            s.a2.resize(blocks);
            for (auto& a : s.a2) a = 0.001f + fabsf(rng.normal()) * 0.01f;
        }
    }
    s.scratch.assign(2, -1.0f);
    s.gnorm.assign(100, 0.0f);
    for (auto& h : s.gnorm) h = fabsf(rng.normal()) * static_cast<float>(n) * 0.01f;
    return s;
}

inline int64_t address(const void* p) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(p)); }
template <typename V>
int64_t address_or_0(const V& v) {
    return v.empty() ? 0 : address(v.data());
}

// The address arrays of slots, as bnb_optim_tensors (bnb/optim.h) points to them.
struct Arrays {
    std::vector<int64_t> p, g, s1, s2, a1, a2, scratch, gnorm, numel;
    std::vector<int32_t> step;
};

inline Arrays arrays_of(std::vector<Slot>& slots) {
    Arrays a;
    for (Slot& s : slots) {
        a.p.push_back(address_or_0(s.p));
        a.g.push_back(address_or_0(s.g));
        a.s1.push_back(address_or_0(s.s1));
        a.s2.push_back(address_or_0(s.s2));
        a.a1.push_back(address_or_0(s.a1));
        a.a2.push_back(address_or_0(s.a2));
        a.scratch.push_back(address_or_0(s.scratch));
        a.gnorm.push_back(address_or_0(s.gnorm));
        a.numel.push_back(s.n);
        a.step.push_back(s.step);
    }
    return a;
}

// The C API's view of the arrays (valid while a lives).
inline bnb_optim_tensors tensors_of(const Arrays& a) {
    return {static_cast<int32_t>(a.p.size()), a.p.data(), a.g.data(), a.s1.data(), a.s2.data(), a.a1.data(),
            a.a2.data(), a.scratch.data(), a.gnorm.data(), a.numel.data(), a.step.data()};
}

inline bnb_optim_hparams hparams_of(const Config& c) {
    return {c.lr, c.beta1, c.beta2, c.beta3, c.alpha, c.eps, c.weight_decay, c.max_unorm, c.percentile, c.skip_zeros};
}

inline bnb_status cpu_step(const Config& c, std::vector<Slot>& slots, const float* q1, const float* q2) {
    const Arrays a = arrays_of(slots);
    const bnb_optim_tensors t = tensors_of(a);
    const bnb_optim_hparams h = hparams_of(c);
    return bnb_cpu_optimizer_step(c.opt, c.dtype, c.bits, &t, c.bits == 8 ? q1 : nullptr,
                                  c.bits == 8 && two_state(c.opt) ? q2 : nullptr, &h);
}

inline const char* opt_name(int32_t opt) {
    switch (opt) {
        case BNB_OPTIM_ADAM: return "ADAM";
        case BNB_OPTIM_MOMENTUM: return "MOMENTUM";
        case BNB_OPTIM_RMSPROP: return "RMSPROP";
        case BNB_OPTIM_LARS: return "LARS";
        case BNB_OPTIM_ADAGRAD: return "ADAGRAD";
        case BNB_OPTIM_LION: return "LION";
        case BNB_OPTIM_ADEMAMIX: return "ADEMAMIX";
        case BNB_OPTIM_LAMB: return "LAMB";
        default: return "?";
    }
}

inline const char* dtype_label(int32_t d) { return d == BNB_F32 ? "f32" : d == BNB_F16 ? "f16" : "bf16"; }

constexpr int32_t kAllOptimizers[] = {BNB_OPTIM_ADAM, BNB_OPTIM_MOMENTUM, BNB_OPTIM_RMSPROP, BNB_OPTIM_LARS,
                                      BNB_OPTIM_ADAGRAD, BNB_OPTIM_LION, BNB_OPTIM_ADEMAMIX, BNB_OPTIM_LAMB};
constexpr int32_t kAllDtypes[] = {BNB_F32, BNB_F16, BNB_BF16};

}  // namespace optest
