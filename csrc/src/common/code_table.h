// A shared-memory form of the 256-entry code that the CUDA kernels search instead of the plain array.
// quantize_with_table() returns exactly what quantize_to_code() returns, for every code (ascending or
// not) and every x, NaN included.
//
// Why it is exact: quantize_to_code() visits the pivots b + h - 1 for h = 128, 64, ..., 2, where b, a
// multiple of 2h, grows by h whenever x > code[pivot]; the search ends on the even p = b. Whatever the
// comparisons were, the last pivots passed below and above p are p - 1 and p + 1 (the in-order
// neighbours of a leaf of a binary search tree are its ancestors), or the never-moved bounds 0 and 255,
// so the final comparisons depend on p alone and are tabulated per p, computed as upstream does.
// For p = 0 the lower bound is code[0] and both outcomes return 0, which a midpoint of -inf gives too.
#pragma once

#include <math.h>
#include <stdint.h>

#include "common/host_device.h"

namespace bnb {

// Index j of the code is stored at j + j / 32: one pad word per 32 entries spreads the 2^k pivots of
// search level k, which lie 256 / 2^k apart, over distinct shared-memory banks.
BNB_HD constexpr int padded_index(int j) { return j + (j >> 5); }

constexpr int kPaddedCodes = 264;  // > padded_index(255)

// The final step of the search for an even p.
struct alignas(16) CodeEnd {
    float value;  // code[p]
    float below;  // (code[p - 1] + code[p]) * 0.5f, or -inf for p = 0
    float above;  // (code[p + 1] + code[p]) * 0.5f
    int32_t index;  // p
};

struct CodeTable {
    float pivots[kPaddedCodes];   // code[j] at padded_index(j)
    CodeEnd ends[kPaddedCodes];   // for even p, at padded_index(p)
};

// Fills what index j (0..255) of code contributes to t. Calls for different j are independent.
BNB_HD inline void fill_code_table(CodeTable& t, const float* code, int j) {
    t.pivots[padded_index(j)] = code[j];
    if ((j & 1) == 0) {
        CodeEnd& e = t.ends[padded_index(j)];
        e.value = code[j];
        e.below = j > 0 ? (code[j - 1] + code[j]) * 0.5f : -INFINITY;
        e.above = (code[j + 1] + code[j]) * 0.5f;
        e.index = j;
    }
}

// The first two search levels compare with code[127], then code[191] or code[63]: the caller keeps
// those three in registers. The other five levels read t.pivots at offsets known at compile time from
// a running byte offset, so that each level is one load, one compare and one predicated add.
BNB_HD inline uint8_t quantize_with_table(const CodeTable& t, float code63, float code127, float code191,
                                          float x) {
    const char* pivots = reinterpret_cast<const char*>(t.pivots);
    bool up = x > code127;
    int base = up ? 4 * padded_index(128) : 0;  // byte offset of padded_index(b)
    if (x > (up ? code191 : code63)) base += 4 * padded_index(64);
BNB_UNROLL
    for (int h = 32; h >= 2; h >>= 1) {
        float pivot = *reinterpret_cast<const float*>(pivots + base + 4 * padded_index(h - 1));
        if (x > pivot) base += 4 * padded_index(h);
    }
    const CodeEnd& end = *reinterpret_cast<const CodeEnd*>(reinterpret_cast<const char*>(t.ends) + 4 * base);
    int q = end.index;
    if (x > end.value)
        q += x > end.above;
    else
        q -= x < end.below;
    return static_cast<uint8_t>(q);
}

}  // namespace bnb
