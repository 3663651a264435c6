// The NF4 quantizer (quantize_nf4, common/fourbit_codes.h) as a step table (common/step_table.h's encoding): one
// shared-memory load per value instead of the tree's three dependent ones. The CUDA quantize kernel builds it in
// shared memory.
//
// Why it is exact: quantize_nf4 counts the thresholds strictly below x, so it is non-decreasing in x and rises by
// one at each threshold. The table has one bucket per sign, exponent and top two mantissa bits of x (2048 entries,
// 8 KB), so the entry's byte offset is (bits >> 21) * 4 with no clamping. Every bucket is a run of 2^21
// consecutive floats; the entries use StepTable's encoding (lo << 24 | (2^24 - o), F(x) = (entry + offset(x)) >>
// 24). A quarter binade holds at most one NF4 threshold (neighbouring thresholds of one sign are at least a factor
// 1.28 apart, a bucket spans at most 1.25), so the only bucket that falls back to the tree is the one that holds
// +inf (code 15) and NaNs (code 0; a zero block scales to NaN); the other NaN buckets are constant 0.
#pragma once

#include <stdint.h>

#include "common/fourbit_codes.h"
#include "common/step_table.h"

namespace bnb {

struct Nf4FullTable {
    static constexpr int kOffsetBits = 21;
    static constexpr uint32_t kOffsetMask = (1u << kOffsetBits) - 1u;
    static constexpr uint32_t kNever = kOffsetMask + 1u;
    static constexpr int kEntries = 1 << (32 - kOffsetBits);

    BNB_HD static uint32_t byte_offset(uint32_t b) { return (b >> kOffsetBits) * 4u; }
    // The position of the float with bits b in its bucket, in float order (negatives count down from the
    // largest magnitude).
    BNB_HD static uint32_t offset(uint32_t b) {
        return (b ^ static_cast<uint32_t>(static_cast<int32_t>(b) >> 31)) & kOffsetMask;
    }
    BNB_HD static uint32_t value(uint32_t e, uint32_t b) { return (e + offset(b)) >> 24; }
};

// Entry i of Nf4FullTable from the 15 NF4 thresholds t (the CUDA kernel builds the table in shared memory with
// this, the CPU test checks it against the tree on every bucket). Without a bisection: where the code rises in
// the bucket it rises at the first float above threshold t[lo].
BNB_HD inline uint32_t nf4_full_entry(const float* t, int i) {
    using T = Nf4FullTable;
    const uint32_t low_bits = static_cast<uint32_t>(i) << T::kOffsetBits;
    const bool negative = (low_bits >> 31) != 0;
    const float first = bits_float(negative ? low_bits | T::kOffsetMask : low_bits);  // in float order
    const float last = bits_float(negative ? low_bits : low_bits | T::kOffsetMask);
    const uint32_t lo = quantize_nf4(t, first);
    const uint32_t hi = quantize_nf4(t, last);
    if (hi == lo) return lo << 24 | ((1u << 24) - T::kNever);
    if (hi != lo + 1) return kStepFallback;  // +inf beside NaNs (or two steps, which NF4 never has)
    const float step = t[lo];
    const uint32_t above = step > 0.0f ? float_bits(step) + 1u : float_bits(step) - 1u;  // the next float up
    return lo << 24 | ((1u << 24) - T::offset(above));
}

// quantize_nf4(t, x) read off the Nf4FullTable entries e, for the host (tests) and the device.
BNB_HD inline uint32_t quantize_nf4_full(const uint32_t* e, const float* t, float x) {
    const uint32_t b = float_bits(x);
    const uint32_t entry = e[Nf4FullTable::byte_offset(b) / 4];
    return (entry & kStepValid) != 0 ? Nf4FullTable::value(entry, b) : quantize_nf4(t, x);
}

}  // namespace bnb
