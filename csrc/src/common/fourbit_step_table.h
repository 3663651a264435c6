// The NF4 quantizer (quantize_nf4, common/fourbit_codes.h) as a step table (common/step_table.h): one
// shared-memory load per value instead of the tree's three dependent ones. The CUDA quantize kernel can use
// it; the table is constant, so the host builds it once and passes it by value.
//
// Why it is exact: quantize_nf4 counts the thresholds strictly below x, so it is non-decreasing in x and
// rises by one at each threshold. Every NF4 threshold lies in [2^-5, 1) in magnitude, and neighbouring
// thresholds of one sign are at least a factor 1.3 apart, so a bucket of 1/16 binade holds at most one step
// (fourbit_cpu_tests checks that no regular bucket falls back). |x| below 2^-5 is code 7 on both sides, ±0
// included: the tiny buckets are constant. |x| >= 2, infinities and NaNs (a zero block scales to NaN) fall
// back to the tree, which gives NaN code 0.
#pragma once

#include <stdint.h>

#include "common/fourbit_codes.h"
#include "common/step_table.h"

namespace bnb {

using Nf4StepTable = StepTable<4, 127 - 5, 6, true>;

struct Nf4StepEntries {
    uint32_t entries[Nf4StepTable::kEntries];
};

// quantize_nf4 as the callable that step_entry bisects (a struct rather than a lambda: nvcc wants it
// callable on the host and the device like step_entry).
struct Nf4Tree {
    float thresholds[kNf4Thresholds];
    BNB_HD int operator()(float x) const { return static_cast<int>(quantize_nf4(thresholds, x)); }
};

// Entry i of the NF4 table.
inline uint32_t nf4_step_entry(int i) {
    Nf4Tree tree;
    for (int t = 0; t < kNf4Thresholds; ++t) tree.thresholds[t] = four_bit_threshold(BNB_QUANT_NF4, t);
    return step_entry<Nf4StepTable>(i, tree);
}

// quantize_nf4(t, x) read off the entries e, for the host (tests) and the device.
BNB_HD inline uint32_t quantize_nf4_stepped(const uint32_t* e, const float* t, float x) {
    const uint32_t b = float_bits(x);
    const uint32_t entry = e[Nf4StepTable::index(b)];
    return (Nf4StepTable::usable(entry, b) & kStepValid) != 0 ? Nf4StepTable::value(entry, b) : quantize_nf4(t, x);
}

}  // namespace bnb
