// What the CPU and CUDA quantile estimators share, so that they pick and add the same values (bnb/quantiles.h
// defines the result): the argument checks, the chunking, the pick positions, the selected quantiles and the
// order-preserving sort keys.
#pragma once

#include <math.h>
#include <stdint.h>

#include "bnb/quantiles.h"
#include "common/float_bits.h"
#include "common/host_device.h"
#include "common/status.h"

#define BNB_CHECK_QUANTILE_ARGS(A, out, offset, num_quantiles, n)                                               \
    BNB_CHECK_ARG((n) >= BNB_QUANTILES_MAX, "n must be >= %d (quantile estimation needs that many values), got %lld", \
                  BNB_QUANTILES_MAX, static_cast<long long>(n));                                                \
    BNB_CHECK_ARG((offset) > 0.0f && (offset) <= 0.5f, "offset must be in (0, 0.5], got %g",                     \
                  static_cast<double>(offset));                                                                 \
    BNB_CHECK_ARG((num_quantiles) >= 1 && (num_quantiles) <= BNB_QUANTILES_MAX,                                   \
                  "num_quantiles must be in [1, %d], got %d", BNB_QUANTILES_MAX, static_cast<int>(num_quantiles)); \
    BNB_CHECK_ARG((A) != nullptr, "A must not be NULL");                                                         \
    BNB_CHECK_ARG((out) != nullptr, "out must not be NULL")

namespace bnb {

constexpr int kQuantiles = BNB_QUANTILES_MAX;
constexpr int kQuantileChunk = BNB_QUANTILE_CHUNK;
constexpr int64_t kQuantileGroup = BNB_QUANTILE_GROUP;

// Which chunks contribute and which of their sorted values are picked (arguments checked before).
struct QuantilePlan {
    int64_t chunks;                // contributing chunks
    int32_t valid;                 // elements in each of them
    int32_t num_quantiles;         // outputs
    int16_t positions[kQuantiles]; // p_i: the sorted index picked for quantile i
    int16_t selected[kQuantiles];  // sel_j: the quantile written to out[j], j < num_quantiles

    int64_t groups() const { return (chunks + kQuantileGroup - 1) / kQuantileGroup; }
};

inline QuantilePlan make_quantile_plan(int64_t n, float offset, int32_t num_quantiles) {
    QuantilePlan plan{};
    plan.chunks = n <= kQuantileChunk ? 1 : n / kQuantileChunk;
    plan.valid = static_cast<int32_t>(n <= kQuantileChunk ? n : kQuantileChunk);
    plan.num_quantiles = num_quantiles;
    // Upstream's kEstimateQuantiles in float: offset + i * q contracted into one fma, as nvcc does by default.
    const float q = (1.0f - 2.0f * offset) / 255.0f;
    const float last = static_cast<float>(plan.valid - 1);
    for (int i = 0; i < kQuantiles; ++i) {
        const long p = lroundf(fmaf(static_cast<float>(i), q, offset) * last);
        plan.positions[i] = static_cast<int16_t>(p < 0 ? 0 : p > plan.valid - 1 ? plan.valid - 1 : p);
    }
    for (int j = 0; j < num_quantiles; ++j)
        plan.selected[j] = static_cast<int16_t>(num_quantiles == 1 ? 0 : (kQuantiles - 1) * j / (num_quantiles - 1));
    return plan;
}

// Keys whose unsigned order is the order of bnb/quantiles.h (-0 before +0, every NaN last), for the raw bits
// of an element of each float dtype, and the raw bits back (a NaN comes back as the all-ones-mantissa NaN).
template <typename Raw, Raw kSign, Raw kInfinity>
struct OrderedBits {
    using type = Raw;
    BNB_HD static Raw key(Raw bits) {
        if (static_cast<Raw>(bits & ~kSign) > kInfinity) return static_cast<Raw>(~Raw{0});
        return static_cast<Raw>(bits & kSign ? ~bits : bits ^ kSign);
    }
    BNB_HD static Raw bits(Raw key) { return static_cast<Raw>(key & kSign ? key ^ kSign : ~key); }
};

template <int32_t D>
struct QuantileKey;
template <>
struct QuantileKey<BNB_F32> : OrderedBits<uint32_t, 0x80000000u, 0x7f800000u> {};
template <>
struct QuantileKey<BNB_F16> : OrderedBits<uint16_t, 0x8000u, 0x7c00u> {};
template <>
struct QuantileKey<BNB_BF16> : OrderedBits<uint16_t, 0x8000u, 0x7f80u> {};

}  // namespace bnb
