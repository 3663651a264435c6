// An independent reference of bnb/quantiles.h for the native tests: each chunk sorted as floats with
// std::sort (NaN last, -0 before +0), the picks added in double in the documented order.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "common/half_convert.h"
#include "test_util.h"

namespace test {

inline size_t element_size(int32_t dtype) { return dtype == BNB_F32 ? 4 : 2; }

inline float element_at(int32_t dtype, const std::vector<uint8_t>& a, int64_t i) {
    if (dtype == BNB_F32) {
        float v;
        memcpy(&v, &a[i * 4], 4);
        return v;
    }
    uint16_t h;
    memcpy(&h, &a[i * 2], 2);
    return dtype == BNB_F16 ? bnb::half_to_float(h) : bnb::bf16_to_float(h);
}

// Normal values of scale 1 with, when specials, +-0, +-inf and a few NaNs of either sign, in dtype.
inline std::vector<uint8_t> quantile_input(int32_t dtype, int64_t n, uint64_t seed, bool specials) {
    Random rng(seed);
    std::vector<uint8_t> a(n * element_size(dtype));
    for (int64_t i = 0; i < n; ++i) {
        float v = rng.normal();
        if (specials) {
            const int64_t r = rng.below(1000);
            if (r == 0) v = NAN;
            if (r == 1) v = -NAN;
            if (r == 2) v = INFINITY;
            if (r == 3) v = -INFINITY;
            if (r == 4) v = 0.0f;
            if (r == 5) v = -0.0f;
        }
        if (dtype == BNB_F32) {
            memcpy(&a[i * 4], &v, 4);
        } else {
            const uint16_t h = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
            memcpy(&a[i * 2], &h, 2);
        }
    }
    return a;
}

// The total order of bnb/quantiles.h on floats.
inline bool quantile_less(float x, float y) {
    if (isnan(x)) return false;
    if (isnan(y)) return true;
    if (x == y) return signbit(x) && !signbit(y);
    return x < y;
}

inline std::vector<float> reference_quantiles(int32_t dtype, const std::vector<uint8_t>& a, int64_t n, float offset,
                                              int num_quantiles) {
    const int64_t chunks = n <= 4096 ? 1 : n / 4096;
    const int64_t valid = n <= 4096 ? n : 4096;
    const float q = (1.0f - 2.0f * offset) / 255.0f;
    std::vector<double> group(256, 0.0), total(256, 0.0);
    std::vector<float> chunk(valid);
    for (int64_t c = 0; c < chunks; ++c) {
        for (int64_t k = 0; k < valid; ++k) chunk[k] = element_at(dtype, a, c * 4096 + k);
        std::sort(chunk.begin(), chunk.end(), quantile_less);
        for (int i = 0; i < 256; ++i) {
            const long p = lroundf(fmaf(static_cast<float>(i), q, offset) * static_cast<float>(valid - 1));
            group[i] += chunk[std::min<long>(std::max<long>(p, 0), valid - 1)];
        }
        if ((c + 1) % 64 == 0 || c + 1 == chunks) {
            for (int i = 0; i < 256; ++i) total[i] += group[i];
            std::fill(group.begin(), group.end(), 0.0);
        }
    }
    std::vector<float> out(num_quantiles);
    for (int j = 0; j < num_quantiles; ++j) {
        const int sel = num_quantiles == 1 ? 0 : 255 * j / (num_quantiles - 1);
        out[j] = static_cast<float>(total[sel] / static_cast<double>(chunks));
    }
    return out;
}

}  // namespace test
