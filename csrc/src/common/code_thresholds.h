// The search that quantize_kernel runs: quantize_to_code() read off two small tables, for every code.
//
// Why it is exact. Write R(x) = quantize_to_code(code, x). For every code (ascending or not, NaN and
// infinite entries included), R is non-decreasing in x over the non-NaN floats, and R(-0.0) = R(+0.0):
//   - R compares x only (x > c, x < c), so -0.0 and +0.0 take the same path;
//   - the search leaf p(x) is non-decreasing: two values x1 < x2 follow the same path until the first
//     pivot c where they part, and there x1 <= c < x2 sends x1 left and x2 right (a NaN c sends both
//     left), so p(x1) < p(x2), and then p(x1) <= p(x2) - 2 (leaves are even);
//   - within a leaf, R = x > v ? p + (x > above) : p - (p > 0 && x < below) with v = code[p] and the fixed
//     midpoints above = (code[p+1] + v) * 0.5f, below = (code[p-1] + v) * 0.5f (the in-order neighbours
//     of a leaf are its last pivots passed): each comparison term moves R up as x grows, and R <= p for
//     x <= v, R >= p for x > v; and across leaves p(x1) + 1 <= p(x2) - 1.
// Hence R(x) = #{ j in 0..254 : x >= T[j] } with T[j] the smallest float x such that R(x) > j (NaN when
// there is none: R(+inf) <= j). T is non-decreasing with its NaNs last, is never +0.0 (R(-0.0) =
// R(+0.0)), and code_threshold() finds it by bisection over the float order, using R itself.
//
// The per-element search: bucket b = bits(x) >> 17 (the sign, the exponent and 6 mantissa bits: 32768
// buckets, each an interval of floats); floors[b] = R(smallest float of b) = #{ j : T[j] <= that }, or
// 0 where the bucket holds a NaN bit pattern. For x in b, every T[j] with j < floors[b] is <= x, so
// R(x) = lo + (x >= T[lo]) when x < T[lo + 1], lo = floors[b]; otherwise (two or more thresholds in
// one bucket, or +inf, which shares its bucket with NaNs) an 8-step binary search over T gives R(x).
// A NaN x compares false everywhere and gets floors[b] = 0 = R(NaN).
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/float_bits.h"
#include "common/host_device.h"
#include "common/quant_search.h"

namespace bnb {

constexpr int kBucketShift = 17;
constexpr int kBuckets = 1 << (32 - kBucketShift);  // 32768
constexpr int kThresholds = 255;                    // T[0..254]; T[255] = T[256] = NaN

// {T[q], T[q + 1]}: one 64-bit load gives both thresholds that the fast path compares with.
struct alignas(8) ThresholdPair {
    float first;
    float second;
};

// An unsigned key whose order is the order of the floats (NaNs aside); -0.0 is just below +0.0.
BNB_HD inline uint32_t ordered_key(float x) {
    const uint32_t b = float_bits(x);
    return b ^ ((b >> 31) != 0 ? 0xffffffffu : 0x80000000u);
}

BNB_HD inline float key_float(uint32_t k) { return bits_float(k ^ ((k >> 31) != 0 ? 0x80000000u : 0xffffffffu)); }

// The probe of lane l in 0..31 of a 32-way bisection step on the keys (lo, hi]: lane 31 probes hi, and
// while hi - lo >= 2, lane 30 probes a key strictly between lo and hi.
BNB_HD inline uint32_t probe_key(uint32_t lo, uint32_t hi, int lane) {
    return lo + static_cast<uint32_t>((static_cast<uint64_t>(hi - lo) * static_cast<uint64_t>(lane + 1)) >> 5);
}

// T[j] (see above), on the host: the same 32-way steps as the device's warp, one lane at a time.
// Invariant: R(key_float(lo)) <= j < R(key_float(hi)).
inline float code_threshold(const float* code, int j) {
    uint32_t lo = ordered_key(-INFINITY), hi = ordered_key(INFINITY);
    if (quantize_to_code(code, INFINITY) <= j) return NAN;
    if (quantize_to_code(code, -INFINITY) > j) return -INFINITY;  // never: R(-inf) = 0
    while (hi - lo > 1) {
        int first = 31;
        for (int lane = 0; lane < 32; ++lane)
            if (quantize_to_code(code, key_float(probe_key(lo, hi, lane))) > j) {
                first = lane;
                break;
            }
        const uint32_t new_hi = probe_key(lo, hi, first);
        if (first > 0) lo = probe_key(lo, hi, first - 1);
        hi = new_hi;
    }
    return key_float(hi);
}

// floors[b] (see above).
BNB_HD inline uint8_t bucket_floor(const float* code, int b) {
    if ((b & 0x3fc0) == 0x3fc0) return 0;  // exponent 255: +-inf and NaNs share these buckets
    const uint32_t first = static_cast<uint32_t>(b) << kBucketShift;
    // The smallest float of the bucket: its first bit pattern when positive, its last when negative.
    return quantize_to_code(code, bits_float(b < kBuckets / 2 ? first : first | ((1u << kBucketShift) - 1)));
}

// R(x) = #{ j : x >= T[j] }, with pairs[q].first = T[q]: 8 steps, T[255] never read.
BNB_HD inline int threshold_search(const ThresholdPair* pairs, float x) {
    int q = 0;
    for (int s = 128; s > 0; s >>= 1)
        if (x >= pairs[q + s - 1].first) q += s;
    return q;
}

// q[i] = quantize_to_code(code, x[i]) from the tables of the code (see above), four values at a time:
// the loads of the four first, then the comparisons, then the rare full search. (More values at once
// take more registers than the quantize kernel can spare on sm_80 and sm_90.)
template <int N>
BNB_HD inline void bucket_search(const uint8_t* floors, const ThresholdPair* pairs, const float (&x)[N],
                                 int (&q)[N]) {
    static_assert(N % 4 == 0, "values come in fours");
    BNB_UNROLL
    for (int c = 0; c < N; c += 4) {
        int lo[4];
        BNB_UNROLL
        for (int i = 0; i < 4; ++i) lo[i] = floors[float_bits(x[c + i]) >> kBucketShift];
        ThresholdPair t[4];
        BNB_UNROLL
        for (int i = 0; i < 4; ++i) t[i] = pairs[lo[i]];
        BNB_UNROLL
        for (int i = 0; i < 4; ++i) q[c + i] = lo[i] + (x[c + i] >= t[i].first ? 1 : 0);
        BNB_UNROLL
        for (int i = 0; i < 4; ++i)
            if (x[c + i] >= t[i].second) q[c + i] = threshold_search(pairs, x[c + i]);
    }
}

}  // namespace bnb
