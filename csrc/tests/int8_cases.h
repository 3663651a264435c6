// Inputs and expected values shared by the int8 test programs: matrices in each float dtype with the
// values LLM.int8() must handle (outlier columns, NaN, infinities, all-zero rows), and the spec's
// formulas written out element by element.
#pragma once

#include "common/half_convert.h"
#include "test_util.h"

namespace test {

inline size_t dtype_bytes(int32_t dtype) { return dtype == BNB_F32 ? 4 : 2; }
inline const char* dtype_label(int32_t dtype) { return dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16"; }

// A host matrix of a float dtype, element by element through float.
struct Matrix {
    int32_t dtype;
    int64_t rows, cols;
    std::vector<uint8_t> bytes;
    Matrix(int32_t d, int64_t r, int64_t c) : dtype(d), rows(r), cols(c), bytes(r * c * dtype_bytes(d)) {}
    float get(int64_t i) const {
        if (dtype == BNB_F32) {
            float v;
            memcpy(&v, &bytes[i * 4], 4);
            return v;
        }
        uint16_t h;
        memcpy(&h, &bytes[i * 2], 2);
        return dtype == BNB_F16 ? bnb::half_to_float(h) : bnb::bf16_to_float(h);
    }
    void set(int64_t i, float v) {
        if (dtype == BNB_F32) {
            memcpy(&bytes[i * 4], &v, 4);
        } else {
            uint16_t h = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
            memcpy(&bytes[i * 2], &h, 2);
        }
    }
    const void* data() const { return bytes.data(); }
    void* data() { return bytes.data(); }
};

// Activations as LLM.int8() sees them: normal values with a scale per row, a few outlier columns
// (every third row has 6.5 <= |x| <= 20 there) when outliers is set, and with specials a NaN, an infinity
// (in an outlier column when there are outliers), an all-zero row and values exactly at the threshold 6.
inline Matrix activations(int32_t dtype, int64_t rows, int64_t cols, uint64_t seed, bool outliers, bool specials) {
    Matrix m(dtype, rows, cols);
    Random rng(seed);
    const int64_t outlier_a = cols > 3 ? cols / 3 : -1, outlier_b = cols - 1;
    for (int64_t r = 0; r < rows; ++r) {
        const float scale = 0.1f + static_cast<float>(r % 7) * 0.4f;
        for (int64_t c = 0; c < cols; ++c) {
            float v = rng.normal() * scale;
            if (outliers && (c == outlier_a || c == outlier_b) && r % 3 == 0)
                v = (rng.below(2) ? 1.0f : -1.0f) * rng.uniform(6.5f, 20.0f);
            m.set(r * cols + c, v);
        }
    }
    if (specials && rows >= 3 && cols >= 3) {
        for (int64_t c = 0; c < cols; ++c) m.set(1 * cols + c, 0.0f);  // an all-zero row
        m.set(0 * cols + 1, NAN);
        m.set(2 * cols + outlier_b, outliers ? INFINITY : 1.0f);
        m.set(rows - 1, 6.0f);   // exactly the threshold: an outlier
        m.set(rows / 2 * cols, -6.0f);
    }
    return m;
}

// Upstream's semantics (spec 3.9), element by element.
struct ExpectedQuant {
    std::vector<int8_t> codes;
    std::vector<float> stats;
    std::vector<int64_t> outlier_cols;
};

inline ExpectedQuant expected_quant(const Matrix& a, float threshold) {
    ExpectedQuant e;
    e.codes.resize(a.rows * a.cols);
    e.stats.resize(a.rows);
    std::vector<bool> outlier(a.cols, false);
    auto is_outlier = [&](float x) { return threshold > 0 && fabsf(x) >= threshold; };
    for (int64_t r = 0; r < a.rows; ++r) {
        float m = 0.0f;
        for (int64_t c = 0; c < a.cols; ++c) {
            float x = a.get(r * a.cols + c);
            if (is_outlier(x))
                outlier[c] = true;
            else if (fabsf(x) > m)
                m = fabsf(x);
        }
        e.stats[r] = m;
        const float scale = 127.0f * (1.0f / m);
        for (int64_t c = 0; c < a.cols; ++c) {
            float y = a.get(r * a.cols + c) * scale;
            int code = 0;
            if (isnan(y) || is_outlier(a.get(r * a.cols + c)))
                code = 0;
            else if (y >= 127.0f || y <= -127.0f)
                code = y > 0 ? 127 : -127;
            else
                code = static_cast<int>(nearbyintf(y));  // round half to even in the default mode
            e.codes[r * a.cols + c] = static_cast<int8_t>(code);
        }
    }
    for (int64_t c = 0; c < a.cols; ++c)
        if (outlier[c]) {
            e.outlier_cols.push_back(c);
            for (int64_t r = 0; r < a.rows; ++r) e.codes[r * a.cols + c] = 0;
        }
    return e;
}

// Equal bits, or both NaN, of element i of two matrices of the same dtype.
inline bool same_element(const Matrix& x, const Matrix& y, int64_t i) {
    if (x.dtype == BNB_F32) return same_float(x.get(i), y.get(i));
    uint16_t a, b;
    memcpy(&a, &x.bytes[i * 2], 2);
    memcpy(&b, &y.bytes[i * 2], 2);
    return same_half_bits(a, b, x.dtype == BNB_BF16);
}

// "file:line: ... name ..." after a failed call: the message must name the argument.
#define CHECK_FAILS_NAMING(call, expected, name)                                                          \
    do {                                                                                                  \
        CHECK_FAILS(call, expected);                                                                      \
        CHECK(strstr(bnb_last_error(), name) != nullptr, "%s: \"%s\" does not name %s", #call, bnb_last_error(), \
              name);                                                                                      \
    } while (0)

}  // namespace test
