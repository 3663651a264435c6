// Step tables: a non-decreasing step function F from floats to codes 0..255 (the quantizers' searches),
// read off one 32-bit entry per bucket, so that a GPU lookup is a single shared-memory load.
//
// Buckets. x is keyed by the sign, the exponent and the top M mantissa bits of its float bits: the
// buckets of |x| in [2^(L - 127), 2^(L + B - 127)) (L = kLowExponent, B = kBinades) are intervals of
// 2^(23 - M) consecutive floats; per sign, all smaller |x| share a "tiny" bucket and all larger ones,
// with the infinity and the NaNs of that sign, a "huge" one. Without kNegatives only |x| is keyed, and
// an x with the sign bit set must take the fallback (usable()).
//
// Entries. Over a bucket, F is non-decreasing in the float order (the caller's guarantee, see
// step_entry()). Write lo = F(first float of the bucket): if F is constant there, or rises once, by one,
// at the float with in-bucket offset o > 0 (offset(): the position in the bucket in float order), the
// entry is lo << 24 | (2^24 - o) (o = kNever when constant), so that F(x) = (entry + offset(x)) >> 24: the
// carry out of the low 24 bits adds the step. Anything else (two steps or more, a step in a tiny
// bucket, whose offsets are not positions, and every huge bucket, for the NaNs) is the entry 0, a
// fallback, where the caller runs the full search. Valid entries have bit 23 set (o <= 2^19).
#pragma once

#include <stdint.h>

#include "common/float_bits.h"
#include "common/host_device.h"

namespace bnb {

// An unsigned key whose order is the order of the floats (NaNs aside); -0.0 is just below +0.0.
BNB_HD inline uint32_t ordered_key(float x) {
    const uint32_t b = float_bits(x);
    return b ^ ((b >> 31) != 0 ? 0xffffffffu : 0x80000000u);
}

BNB_HD inline float key_float(uint32_t k) { return bits_float(k ^ ((k >> 31) != 0 ? 0x80000000u : 0xffffffffu)); }

constexpr uint32_t kStepFallback = 0;
constexpr uint32_t kStepValid = 1u << 23;

template <int M, int kLowExponent, int kBinades, bool kNegatives>
struct StepTable {
    static_assert(M >= 4 && M <= 8, "2^24 - o must keep bit 23 set");
    static constexpr int kOffsetBits = 23 - M;
    static constexpr uint32_t kOffsetMask = (1u << kOffsetBits) - 1u;
    static constexpr uint32_t kNever = kOffsetMask + 1u;  // an offset no float of the bucket reaches
    static constexpr int kSpan = kBinades << M;           // regular buckets per sign
    static constexpr int kHalf = kSpan + 2;               // with the tiny and the huge bucket
    static constexpr int kEntries = kNegatives ? 2 * kHalf : kHalf;

    // The entry of the float with bits b, as a byte offset into the table (4 * its index): for kNegatives,
    // negatives first (by |x|), then positives. The bucket bits are shifted straight to a byte offset, and
    // the sign's half added by a multiply, which the GPU runs on its less busy FMA pipe.
    BNB_HD static uint32_t byte_offset(uint32_t b) {
        constexpr uint32_t kBucketBits = 0x7fffffffu & ~kOffsetMask;
        int j = static_cast<int>((b & kBucketBits) >> (kOffsetBits - 2)) - (((kLowExponent << M) - 1) << 2);
        j = j < 0 ? 0 : j > 4 * (kSpan + 1) ? 4 * (kSpan + 1) : j;
        if (kNegatives) j += 4 * kHalf - static_cast<int>(b >> 31) * (4 * kHalf);
        return static_cast<uint32_t>(j);
    }
    BNB_HD static int index(uint32_t b) { return static_cast<int>(byte_offset(b) / 4); }

    // The position of the float with bits b in its (regular) bucket, in float order.
    BNB_HD static uint32_t offset(uint32_t b) {
        return (b ^ static_cast<uint32_t>(static_cast<int32_t>(b) >> 31)) & kOffsetMask;
    }

    // F(x) from x's entry e, unless usable(e, bits(x)) lacks kStepValid.
    BNB_HD static uint32_t value(uint32_t e, uint32_t b) { return (e + offset(b)) >> 24; }

    // kStepValid unless x's entry e leaves x to the full search. Callers may AND several of these first.
    BNB_HD static uint32_t usable(uint32_t e, uint32_t b) { return kNegatives ? e : e & ~(b >> 8); }

    // The entry for F = lo from in-bucket offset `step` on (kNever: nowhere), and its parts.
    BNB_HD static uint32_t entry(uint32_t lo, uint32_t step) { return lo << 24 | ((1u << 24) - step); }
    BNB_HD static uint32_t entry_step(uint32_t e) { return (1u << 24) - (e & 0xffffffu); }

    // The ordered keys [*first, *last] of bucket i; *regular: whether offset() is the position in it.
    BNB_HD static void bucket_keys(int i, uint32_t* first, uint32_t* last, bool* regular, bool* huge) {
        const bool negative = kNegatives && i < kHalf;
        const int j = kNegatives ? i % kHalf : i;
        uint32_t lo, hi;  // magnitude bits
        if (j == 0) {
            lo = 0;
            hi = (static_cast<uint32_t>(kLowExponent) << 23) - 1u;
        } else if (j == kSpan + 1) {
            lo = static_cast<uint32_t>(kLowExponent + kBinades) << 23;
            hi = 0x7f800000u;  // up to the infinity; the NaNs beyond are never looked up here
        } else {
            lo = ((static_cast<uint32_t>(kLowExponent) << M) + static_cast<uint32_t>(j - 1)) << kOffsetBits;
            hi = lo | kOffsetMask;
        }
        *regular = j != 0 && j != kSpan + 1;
        *huge = j == kSpan + 1;
        if (negative) {
            *first = ordered_key(bits_float(hi | 0x80000000u));
            *last = ordered_key(bits_float(lo | 0x80000000u));
        } else {
            *first = ordered_key(bits_float(lo));
            *last = ordered_key(bits_float(hi));
        }
    }
};

// Entry i of table Table for f (a callable float -> int in 0..255) that is non-decreasing over every
// bucket: lo at the bucket's first float, the in-bucket offset of the one step, found by bisection.
template <class Table, class F>
BNB_HD uint32_t step_entry(int i, F f) {
    uint32_t first, last;
    bool regular, huge;
    Table::bucket_keys(i, &first, &last, &regular, &huge);
    if (huge) return kStepFallback;
    const int lo = f(key_float(first));
    const int hi = f(key_float(last));
    if (hi == lo) return Table::entry(static_cast<uint32_t>(lo), Table::kNever);
    if (!regular || hi != lo + 1) return kStepFallback;
    uint32_t a = first, b = last;  // f(a) = lo < f(b)
    while (b - a > 1) {
        const uint32_t mid = a + (b - a) / 2;
        if (f(key_float(mid)) > lo)
            b = mid;
        else
            a = mid;
    }
    return Table::entry(static_cast<uint32_t>(lo), b & Table::kOffsetMask);
}

// q[i] = F(x[i]) from the table's entries: the N loads first, then the decoding, then, only if an
// entry says so, full(i) for the values that fall back.
template <class Table, int N, class Full>
BNB_HD inline void step_lookup(const uint32_t* entries, const float (&x)[N], uint32_t (&q)[N], Full full) {
    uint32_t b[N], e[N];
    BNB_UNROLL
    for (int i = 0; i < N; ++i) {
        b[i] = float_bits(x[i]);
        e[i] = *reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(entries) + Table::byte_offset(b[i]));
    }
    uint32_t all = kStepValid;
    BNB_UNROLL
    for (int i = 0; i < N; ++i) {
        q[i] = Table::value(e[i], b[i]);
        all &= Table::usable(e[i], b[i]);
    }
    if ((all & kStepValid) == 0) {
        BNB_UNROLL
        for (int i = 0; i < N; ++i)
            if ((Table::usable(e[i], b[i]) & kStepValid) == 0) q[i] = full(i);
    }
}

}  // namespace bnb
