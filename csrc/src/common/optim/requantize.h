// Requantization of 8-bit optimizer state: upstream's quantize_2D search, tabulated, and the step tables
// of the GPU's fast path (part of common/optim_math.h).
#pragma once

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/float_bits.h"
#include "common/host_device.h"
#include "common/optim/scalars.h"
#include "common/step_table.h"

namespace bnb {
namespace optim {

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
BNB_HD inline bool sign_ordered_at(const float* code, int j) {
    return !(j > 0 && negative(code[j]) && !negative(code[j - 1]));
}

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

}  // namespace optim
}  // namespace bnb
