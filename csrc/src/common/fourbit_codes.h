// The NF4 and FP4 code books of upstream bitsandbytes and its quantizers, shared by the CPU library and
// the CUDA kernels so that both compute the same codes and values bit for bit.
//
// Upstream quantizes with decision trees (dQuantizeNF4, dQuantizeFP4) over literal thresholds. Each tree
// is a balanced search tree over its sorted thresholds that answers "how many thresholds is x greater
// than" (strict >, so a value on a threshold goes to the lower index; NaN compares false everywhere and
// gives 0). The branch-free binary searches below count the same way, level by level, so they return the
// tree's code for every float; the tests check that against a plain count over all thresholds.
//
// The tables are functions rather than arrays so that device code may call them: a kernel copies them to
// shared memory once, the CPU into a local FourBitCode once per call.
#pragma once

#include <stdint.h>

#include "bnb/fourbit.h"
#include "common/host_device.h"

namespace bnb {

constexpr int kFourBitCodes = 16;
constexpr int kNf4Thresholds = 15;
constexpr int kFp4Thresholds = 7;

// Value of code c (0..15). NF4: upstream's nf4_dequantization_lut (ascending). FP4: the sign bit 0b1000
// times upstream's fp4_dequantization_lut literals; code 8 is -0.0, as upstream's lut[0] * -1 gives.
BNB_HD inline float four_bit_value(int32_t quant_type, int c) {
    const float nf4[kFourBitCodes] = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f};
    const float fp4[kFourBitCodes / 2] = {0.0f,        0.005208333333f, 0.66666667f, 1.0f,
                                          0.33333333f, 0.5f,            0.16666667f, 0.25f};
    if (quant_type == BNB_QUANT_NF4) return nf4[c];
    const float magnitude = fp4[c & 7];
    return c & 8 ? -magnitude : magnitude;
}

// Threshold i, ascending. NF4: dQuantizeNF4's 15 literals (midpoints of neighbouring values). FP4:
// dQuantizeFP4's 7 literals on |x| (upstream's, not computed midpoints: 0.583333 is not 0.5833334).
BNB_HD inline float four_bit_threshold(int32_t quant_type, int i) {
    const float nf4[kNf4Thresholds] = {
        -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
        -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
        0.1202552504837513f,  0.2035212516784668f,  0.2920137718319893f,  0.3893125355243683f,
        0.5016634166240692f,  0.6427869200706482f,  0.8614784181118011f};
    const float fp4[kFp4Thresholds] = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f,
                                       0.4166667f,  0.583333f,  0.8333333f};
    return quant_type == BNB_QUANT_NF4 ? nf4[i] : fp4[i];
}

// The FP4 magnitude code of the i-th interval of |x| (i = number of thresholds below |x|): nibble i of
// this word, i.e. 0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011.
constexpr uint32_t kFp4MagnitudeCodes = 0x32547610u;

// dQuantizeNF4(x), given the 15 NF4 thresholds t.
BNB_HD inline uint32_t quantize_nf4(const float* t, float x) {
    uint32_t i = x > t[7] ? 8u : 0u;
    i += x > t[i + 3] ? 4u : 0u;
    i += x > t[i + 1] ? 2u : 0u;
    i += x > t[i] ? 1u : 0u;
    return i;
}

// dQuantizeFP4(x), given the 7 FP4 thresholds t: the sign bit for x < 0 (so -0.0 and NaN get none), then
// the magnitude code of |x|.
BNB_HD inline uint32_t quantize_fp4(const float* t, float x) {
    const uint32_t sign = x < 0.0f ? 8u : 0u;
    const float m = x < 0.0f ? -x : x;  // NaN stays NaN and lands in interval 0
    uint32_t i = m > t[3] ? 4u : 0u;
    i += m > t[i + 1] ? 2u : 0u;
    i += m > t[i] ? 1u : 0u;
    return sign | ((kFp4MagnitudeCodes >> (4 * i)) & 7u);
}

// Everything a quantizer or dequantizer of one quant type reads, copied once.
struct FourBitCode {
    float values[kFourBitCodes];
    float thresholds[kNf4Thresholds];
    int32_t quant_type;

    BNB_HD void fill(int32_t type) {
        quant_type = type;
        for (int c = 0; c < kFourBitCodes; ++c) values[c] = four_bit_value(type, c);
        const int count = type == BNB_QUANT_NF4 ? kNf4Thresholds : kFp4Thresholds;
        for (int i = 0; i < kNf4Thresholds; ++i) thresholds[i] = i < count ? four_bit_threshold(type, i) : 0.0f;
    }
    // The code of x, which is already multiplied by 1 / absmax.
    BNB_HD uint32_t quantize(float x) const {
        return quant_type == BNB_QUANT_NF4 ? quantize_nf4(thresholds, x) : quantize_fp4(thresholds, x);
    }
};

// A block scale of nested absmax: code[absmax_code] * absmax2 + offset, rounded after the product and after
// the sum as upstream's dequantize_blockwise(...) + offset does (two float32 ops, never one fused
// multiply-add: the CPU files are compiled with -ffp-contract=off).
BNB_HD inline float nested_absmax(float code_value, float absmax2, float offset) {
#if defined(__CUDA_ARCH__)
    return __fadd_rn(__fmul_rn(code_value, absmax2), offset);
#else
    return code_value * absmax2 + offset;
#endif
}

// Number of quantization blocks of n values.
BNB_HD inline int64_t four_bit_blocks(int64_t n, int64_t blocksize) { return (n + blocksize - 1) / blocksize; }

}  // namespace bnb
