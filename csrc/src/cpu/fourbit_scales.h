// The block scales of a 4-bit tensor on the host: plain absmax, or nested absmax undone block by block
// (no separate pass over the scales).
#pragma once

#include "bnb/fourbit.h"
#include "common/fourbit_codes.h"

namespace bnb {

struct PlainScales {
    const float* absmax;
    float operator()(int64_t block) const { return absmax[block]; }
};

struct NestedScales {
    const uint8_t* codes;
    const float* code;
    const float* absmax2;
    float offset;
    explicit NestedScales(const bnb_4bit_nested_absmax& a)
        : codes(a.codes), code(a.code), absmax2(a.absmax2), offset(*a.offset) {}
    float operator()(int64_t block) const {
        return nested_absmax(code[codes[block]], absmax2[block / BNB_NESTED_BLOCKSIZE], offset);
    }
};

}  // namespace bnb
