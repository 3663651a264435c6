// The reference 8-bit codebook search: upstream bitsandbytes' CUDA dQuantize<0>, step for step.
#pragma once

#include <stdint.h>

#include "common/host_device.h"

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

}  // namespace bnb
