// The pick of a chunk that is sorted by the high bits of its keys only (the CUDA quantile kernel sorts f32 keys
// by their top 20 or 16 bits, fewer radix passes than all 32): shared with the CPU tests, which check it against
// a full sort.
#pragma once

#include "common/host_device.h"

namespace bnb {

// Longest run of equal high bits that select_in_run searches; longer runs are the caller's to handle.
constexpr int kMaxQuantileRun = 32;

// The key of rank p (0-based) among sorted[0, valid), where sorted is ordered by key >> kFrom only: the keys
// sharing sorted[p]'s high bits lie in one run around p, and the answer has rank p - start within it, found by
// counting. False when the run holds more than kMaxQuantileRun keys.
template <int kFrom, typename K>
BNB_HD bool select_in_run(const K* sorted, int valid, int p, K* out) {
    const K high = static_cast<K>(sorted[p] >> kFrom);
    int start = p, end = p + 1;
    while (start > 0 && static_cast<K>(sorted[start - 1] >> kFrom) == high) {
        if (end - start >= kMaxQuantileRun) return false;
        --start;
    }
    while (end < valid && static_cast<K>(sorted[end] >> kFrom) == high) {
        if (end - start >= kMaxQuantileRun) return false;
        ++end;
    }
    const int rank = p - start;
    for (int c = start; c < end; ++c) {
        const K v = sorted[c];
        int less = 0, equal = 0;
        for (int j = start; j < end; ++j) {
            less += sorted[j] < v;
            equal += sorted[j] == v;
        }
        if (less <= rank && rank < less + equal) {
            *out = v;
            return true;
        }
    }
    return false;  // not reached: some key of the run has the rank
}

}  // namespace bnb
