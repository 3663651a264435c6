// The per-element formulas of the nn family (bnb/nn_ops.h), shared by the CPU library and the CUDA kernels:
// activations and their derivatives, and the Philox4x32-10 generator behind dropout's mask.
#pragma once

#include <math.h>
#include <stdint.h>

#include "bnb/nn_ops.h"
#include "common/host_device.h"

namespace bnb {

constexpr float kSqrtHalf = 0.70710678118654752f;      // 1 / sqrt(2)
constexpr float kInvSqrt2Pi = 0.39894228040143268f;    // 1 / sqrt(2 pi)
constexpr float kSqrt2OverPi = 0.79788456080286536f;   // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;

BNB_HD inline float nn_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

// f(x) of activation A (a BNB_ACT_* constant).
template <int32_t A>
BNB_HD inline float nn_activate(float x) {
    if constexpr (A == BNB_ACT_RELU) {
        return x > 0.0f || x != x ? x : 0.0f;  // NaN propagates, as torch.relu
    } else if constexpr (A == BNB_ACT_GELU_ERF) {
        return 0.5f * x * (1.0f + erff(x * kSqrtHalf));
    } else if constexpr (A == BNB_ACT_GELU_TANH) {
        return 0.5f * x * (1.0f + tanhf(kSqrt2OverPi * (x + kGeluCubic * x * x * x)));
    } else if constexpr (A == BNB_ACT_TANH) {
        return tanhf(x);
    } else {
        static_assert(A == BNB_ACT_SILU, "an activation of bnb/nn_ops.h");
        return x * nn_sigmoid(x);
    }
}

// f'(x) of activation A.
template <int32_t A>
BNB_HD inline float nn_activate_derivative(float x) {
    if constexpr (A == BNB_ACT_RELU) {
        return x > 0.0f ? 1.0f : 0.0f;
    } else if constexpr (A == BNB_ACT_GELU_ERF) {
        return 0.5f * (1.0f + erff(x * kSqrtHalf)) + x * kInvSqrt2Pi * expf(-0.5f * x * x);
    } else if constexpr (A == BNB_ACT_GELU_TANH) {
        const float t = tanhf(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
    } else if constexpr (A == BNB_ACT_TANH) {
        const float t = tanhf(x);
        return 1.0f - t * t;
    } else {
        static_assert(A == BNB_ACT_SILU, "an activation of bnb/nn_ops.h");
        const float s = nn_sigmoid(x);
        return s * (1.0f + x * (1.0f - s));
    }
}

// ---- Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC11; Random123's
// constants). Integer arithmetic only, so the CPU and the GPU produce the same words.
struct Philox4 {
    uint32_t w[4];
};

BNB_HD inline void philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
    const uint64_t product = static_cast<uint64_t>(a) * b;
    *hi = static_cast<uint32_t>(product >> 32);
    *lo = static_cast<uint32_t>(product);
}

BNB_HD inline Philox4 philox4x32_10(Philox4 counter, uint32_t key0, uint32_t key1) {
    for (int round = 0; round < 10; ++round) {
        uint32_t hi0, lo0, hi1, lo1;
        philox_mulhilo(0xD2511F53u, counter.w[0], &hi0, &lo0);
        philox_mulhilo(0xCD9E8D57u, counter.w[2], &hi1, &lo1);
        counter = Philox4{{hi1 ^ counter.w[1] ^ key0, lo1, hi0 ^ counter.w[3] ^ key1, lo0}};
        key0 += 0x9E3779B9u;
        key1 += 0xBB67AE85u;
    }
    return counter;
}

// The four dropout words of group g (elements 4g .. 4g + 3) for a seed and offset.
BNB_HD inline Philox4 dropout_words(uint64_t seed, uint64_t offset, uint64_t group) {
    const uint64_t c = offset + group;
    return philox4x32_10(Philox4{{static_cast<uint32_t>(c), static_cast<uint32_t>(c >> 32), 0u, 0u}},
                         static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Dropout's integer keep threshold: keep when (word >> 8) >= it. Computed on the host, once per call.
inline uint32_t dropout_threshold(float p) {
    return static_cast<uint32_t>(llrint(static_cast<double>(p) * 16777216.0));
}

// The factor of the kept elements: 1 / (1 - p) in f32, 0 for p = 1 (everything dropped).
inline float dropout_scale(float p) { return p >= 1.0f ? 0.0f : 1.0f / (1.0f - p); }

}  // namespace bnb
