// float <-> IEEE half and bfloat16 on the host, as the CUDA conversions do them: round to nearest
// even, overflow to infinity, subnormals kept, and NaN to the canonical NaN 0x7fff.
#pragma once

#include <stdint.h>
#include <string.h>

#include "common/float_bits.h"

namespace bnb {

inline float bf16_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

inline uint16_t float_to_bf16(float f) {
    uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff;
    u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even; carries into the exponent as it should
    return static_cast<uint16_t>(u >> 16);
}

inline float half_to_float(uint16_t h) {
    uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return bits_float(sign | 0x7f800000u | (mantissa << 13));
    if (exponent == 0) {
        float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // mantissa * 2^-24, exact
        return bits_float(sign | float_bits(magnitude));
    }
    return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t float_to_half(float f) {
    uint32_t u = float_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    u &= 0x7fffffffu;
    if (u > 0x7f800000u) return 0x7fff;
    if (u >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to infinity
    uint32_t result, rest, half;
    if (u >= 0x38800000u) {  // a normal half: rebias the exponent, keep 10 mantissa bits
        uint32_t rebiased = u - 0x38000000u;
        result = rebiased >> 13;
        rest = rebiased & 0x1fffu;
        half = 0x1000u;
    } else if (u >= 0x33000000u) {  // a subnormal half: units of 2^-24
        uint32_t shift = 126u - (u >> 23);
        uint32_t mantissa = (u & 0x7fffffu) | 0x800000u;
        result = mantissa >> shift;
        rest = mantissa & ((1u << shift) - 1u);
        half = 1u << (shift - 1u);
    } else {
        return static_cast<uint16_t>(sign);  // at most 2^-25: rounds to zero
    }
    result += (rest > half || (rest == half && (result & 1u))) ? 1u : 0u;
    return static_cast<uint16_t>(sign | result);
}

}  // namespace bnb
