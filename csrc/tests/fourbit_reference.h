// An independent scalar model of 4-bit quantization for the tests, written from the spec (3.2, 3.3, 3.7)
// rather than from the library's code: codes by counting the thresholds below a value, plain loops.
#pragma once

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bnb/bnb.h"
#include "common/half_convert.h"

namespace test {

inline float load_value(int32_t dtype, const std::vector<uint8_t>& a, int64_t i) {
    if (dtype == BNB_F32) {
        float f;
        memcpy(&f, &a[i * 4], 4);
        return f;
    }
    uint16_t h;
    memcpy(&h, &a[i * 2], 2);
    return dtype == BNB_F16 ? bnb::half_to_float(h) : bnb::bf16_to_float(h);
}

inline void store_value(int32_t dtype, std::vector<uint8_t>& a, int64_t i, float v) {
    if (dtype == BNB_F32) {
        memcpy(&a[i * 4], &v, 4);
        return;
    }
    uint16_t h = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
    memcpy(&a[i * 2], &h, 2);
}

inline size_t dtype_size(int32_t dtype) { return dtype == BNB_F32 ? 4 : 2; }
inline const char* dtype_label(int32_t dtype) { return dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16"; }
inline const char* quant_label(int32_t quant_type) { return quant_type == BNB_QUANT_NF4 ? "nf4" : "fp4"; }

// Spec 3.2: the NF4 table and the 15 thresholds, code = number of thresholds strictly below x.
inline const std::vector<double>& nf4_table() {
    static const std::vector<double> t = {-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                                          -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                                          0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
                                          0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                                          0.7229568362236023, 1.0};
    return t;
}

inline int spec_nf4(float x) {
    static const float t[15] = {-0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f,
                                -0.33967943489551544f, -0.23460740596055984f, -0.13791173323988914f,
                                -0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f,
                                0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
                                0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};
    int c = 0;
    for (float v : t) c += x > v;
    return c;
}

// Spec 3.3: sign bit for x < 0, magnitude intervals to codes 0,1,6,7,4,5,2,3.
inline int spec_fp4(float x) {
    static const float t[7] = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f};
    static const int codes[8] = {0, 1, 6, 7, 4, 5, 2, 3};
    int c = 0;
    for (float v : t) c += fabsf(x) > v;
    return (x < 0 ? 8 : 0) + codes[c];
}

inline float spec_value(int32_t quant_type, int code) {
    if (quant_type == BNB_QUANT_NF4) return static_cast<float>(nf4_table()[code]);
    static const float magnitudes[8] = {0.0f,        0.005208333333f, 0.66666667f, 1.0f,
                                        0.33333333f, 0.5f,            0.16666667f, 0.25f};
    return code & 8 ? -magnitudes[code & 7] : magnitudes[code & 7];
}

struct Quantized {
    std::vector<float> absmax;
    std::vector<uint8_t> packed;
};

// Spec 3.7: per block absmax and 1/absmax, codes of x * scale, high nibble first, a padding 0.0.
inline Quantized spec_quantize(int32_t dtype, int32_t quant_type, const std::vector<uint8_t>& a, int64_t n,
                               int64_t bs) {
    Quantized q;
    const int64_t blocks = (n + bs - 1) / bs;
    q.absmax.resize(blocks);
    q.packed.assign((n + 1) / 2, 0);
    for (int64_t b = 0; b < blocks; ++b) {
        int64_t begin = b * bs, end = std::min(n, begin + bs);
        float m = end - begin < bs ? 0.0f : -FLT_MAX;
        for (int64_t i = begin; i < end; ++i) m = fmaxf(m, fabsf(load_value(dtype, a, i)));
        q.absmax[b] = m;
        float scale = 1.0f / m;
        for (int64_t i = begin; i < begin + bs && i < n + (n % 2); ++i) {
            float x = (i < n ? load_value(dtype, a, i) : 0.0f) * scale;
            int code = quant_type == BNB_QUANT_NF4 ? spec_nf4(x) : spec_fp4(x);
            q.packed[i / 2] |= static_cast<uint8_t>(i % 2 == 0 ? code << 4 : code);
        }
    }
    return q;
}

inline int code_at(const std::vector<uint8_t>& packed, int64_t i) {
    return i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 15;
}

// Random values in dtype: normal values with a scale per 64 (the first `scales` of 1e-3, 0.1, 1, 10,
// 1e3), a few zero blocks, NaNs and infinities when specials is set.
inline std::vector<uint8_t> random_values(int32_t dtype, int64_t n, uint64_t seed, bool specials, int scales = 5) {
    std::vector<uint8_t> a(n * dtype_size(dtype));
    std::mt19937_64 engine(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const float scale[5] = {1e-3f, 0.1f, 1.0f, 10.0f, 1e3f};
    for (int64_t i = 0; i < n; ++i) {
        float v = normal(engine) * scale[(i / 64) % scales];
        if (specials) {
            if ((i / 128) % 7 == 3) v = 0.0f;
            if (i % 997 == 5) v = NAN;
            if (i % 1999 == 11) v = -INFINITY;
        }
        store_value(dtype, a, i, v);
    }
    return a;
}

}  // namespace test
