// The arithmetic of LLM.int8() (spec 3.9-3.12), shared by the CPU and CUDA kernels so that both compute
// the same bits. No a*b+c is left to the compiler: the one fused multiply-add is an explicit fmaf.
#pragma once

#include <math.h>
#include <stdint.h>

#include "common/host_device.h"

namespace bnb {

// upstream's int8_vectorwise_dequant multiplies by the double 7.874015718698502e-3 (1/127), as f32.
constexpr float kInt8DequantScale = 7.874015718698502e-3f;
// upstream CUDA's MM_DEQUANT_CONST, meant as 1/127^2 (whose nearest f32 is 6.2000124e-05f; spec 3.11).
constexpr float kInt8MmDequantScale = 6.200012e-05f;

// Outliers exist only with a threshold; NaN never is one (the comparison is false), +-inf always is.
BNB_HD inline bool int8_is_outlier(float abs_x, float threshold) { return threshold > 0.0f && abs_x >= threshold; }

// 127 / absmax as a rounded reciprocal, then a rounded product: the form of upstream's
// __fdividef(127, absmax), whose approximate reciprocal the host cannot reproduce; the two are at most
// one ulp apart for f16 absmax values and agree on the reference vectors, where the exact quotient does
// not (docs/DECISIONS.md). Infinite for a zero absmax.
BNB_HD inline float int8_scale(float absmax) { return 127.0f * (1.0f / absmax); }

// round_half_even(y) clamped to [-127, 127]; 0 for NaN (0 * inf in an all-zero row, or a NaN input).
// |y| > 127 happens only with an infinite scale (absmax below 127 / FLT_MAX).
BNB_HD inline int8_t int8_code(float y) {
    if (!(fabsf(y) <= 127.0f)) return static_cast<int8_t>(y > 0.0f ? 127 : y < 0.0f ? -127 : 0);
    // In [2^23, 2^24) the ulp is 1, so adding 1.5 * 2^23 rounds y to an integer, half to even (the
    // constant is even), and subtracting it back is exact. Unlike rintf, this vectorizes on any x86-64.
    return static_cast<int8_t>(static_cast<int32_t>((y + 12582912.0f) - 12582912.0f));
}

BNB_HD inline float int8_dequant_value(int8_t code, float row_stat) {
    return static_cast<float>(code) * row_stat * kInt8DequantScale;
}

// upstream's fmaf(A * rowStats * colStats, MM_DEQUANT_CONST, bias), before the rounding to the dtype.
BNB_HD inline float int8_mm_dequant_value(int32_t c, float row_stat, float col_stat, float bias) {
    return fmaf(static_cast<float>(c) * row_stat * col_stat, kInt8MmDequantScale, bias);
}

}  // namespace bnb
