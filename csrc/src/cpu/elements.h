// The host element type of each float dtype, with its conversions to and from float.
#pragma once

#include <stdint.h>

#include "common/dtype_dispatch.h"
#include "common/half_convert.h"

namespace bnb {

template <int32_t D>
struct CpuElement;

template <>
struct CpuElement<BNB_F32> {
    using type = float;
    static float load(float v) { return v; }
    static float store(float v) { return v; }
};

template <>
struct CpuElement<BNB_F16> {
    using type = uint16_t;
    static float load(uint16_t v) { return half_to_float(v); }
    static uint16_t store(float v) { return float_to_half(v); }
};

template <>
struct CpuElement<BNB_BF16> {
    using type = uint16_t;
    static float load(uint16_t v) { return bf16_to_float(v); }
    static uint16_t store(float v) { return float_to_bf16(v); }
};

}  // namespace bnb
