// The reference 8-bit codebook search: upstream bitsandbytes' CUDA dQuantize<0>, step for step.
#pragma once

#include <stdint.h>

#include "common/host_device.h"
#include "common/step_table.h"

namespace bnb {

// Index of the code nearest to x in code[256] (ascending); exact float midpoint ties go to the even
// index, and NaN gives 0. This is a literal port: a 7-step binary search from pivot 127 that keeps
// the last pivot passed on each side, then compares x with the midpoint towards that neighbour.
BNB_HD inline uint8_t quantize_to_code(const float* code, float x) {
    int pivot = 127;
    int upper_pivot = 255;
    int lower_pivot = 0;
    float lower = -1.0f;
    float upper = 1.0f;
    float val = code[pivot];
    for (int i = 64; i > 0; i >>= 1) {
        if (x > val) {
            lower_pivot = pivot;
            lower = val;
            pivot += i;
        } else {
            upper_pivot = pivot;
            upper = val;
            pivot -= i;
        }
        val = code[pivot];
    }
    if (upper_pivot == 255) upper = code[upper_pivot];
    if (lower_pivot == 0) lower = code[lower_pivot];
    if (x > val) {
        float midpoint = (upper + val) * 0.5f;
        return static_cast<uint8_t>(x > midpoint ? upper_pivot : pivot);
    }
    float midpoint = (lower + val) * 0.5f;
    return static_cast<uint8_t>(x < midpoint ? lower_pivot : pivot);
}

// quantize_to_code, with a NaN x (a block of zeros has scale +inf) answered without the search.
BNB_HD inline uint8_t quantize_or_nan(const float* code, float x) { return x != x ? 0 : quantize_to_code(code, x); }

// The step table of quantize_to_code (common/step_table.h; it is non-decreasing in x for every code,
// see quantize_table_entry()): 64 buckets per binade of |x| from 2^-24 to 2, where a bucket holds at
// most one step of the dynamic maps.
using QuantizeTable = StepTable<6, 127 - 24, 25, true>;

// Entry i of code's table. Why R(x) = quantize_to_code(code, x) is non-decreasing in the float order,
// for every code (ascending or not, NaN and infinite entries included): two values x1 < x2 follow the
// same search path until the first pivot c where they part, and there x1 <= c < x2 sends x1 left and
// x2 right (a NaN c sends both left), so their leaves p1 < p2, and leaves are even: p1 <= p2 - 2. Within
// a leaf, R = x > v ? p + (x > above) : p - (p > 0 && x < below), v = code[p], with midpoints fixed by
// the leaf, each term non-decreasing in x; so R(x1) <= p1 + 1 <= p2 - 1 <= R(x2). And R compares x only,
// so R(-0.0) = R(+0.0).
BNB_HD inline uint32_t quantize_table_entry(const float* code, int i) {
    return step_entry<QuantizeTable>(i, [code](float x) { return static_cast<int>(quantize_to_code(code, x)); });
}

}  // namespace bnb
