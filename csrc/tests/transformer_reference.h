// Double-precision references of the transformer ops (bnb/transformer.h), shared by the CPU and CUDA test
// programs, and the tolerances they are compared with: each scales with the dtype's precision.
#pragma once

#include <math.h>

#include <vector>

#include "int8_cases.h"  // test::Matrix, a host buffer of a float dtype

namespace test {

// The relative error a result may have: three roundings to the dtype (unit roundoff u = 2^-11 for F16,
// 2^-8 for BF16: RoPE rounds its product terms and their sum, RMSNorm an intermediate and the output); for
// F32 the error of f32 sums over a few thousand terms.
inline double rel_tol(int32_t dtype) { return dtype == BNB_F32 ? 2e-5 : dtype == BNB_F16 ? 3 * 0x1p-11 : 3 * 0x1p-8; }

inline double round_to(int32_t dtype, double v) {
    Matrix one(dtype, 1, 1);
    one.set(0, static_cast<float>(v));
    return one.get(0);
}

inline Matrix random_matrix(int32_t dtype, int64_t rows, int64_t cols, uint64_t seed, float scale = 1.0f) {
    Matrix m(dtype, rows, cols);
    Random rng(seed);
    for (int64_t i = 0; i < rows * cols; ++i) m.set(i, rng.normal() * scale);
    return m;
}

// The absolute error a result of the dtype may have whatever its size: two steps of f16's subnormals.
inline double abs_tol(int32_t dtype) { return dtype == BNB_F16 ? 0x1p-23 : 1e-30; }

// The first index where got and want differ by more than tol * scale + abs_tol(got's dtype), or -1.
inline int64_t first_mismatch(const Matrix& got, const std::vector<double>& want, const std::vector<double>& scale,
                              double tol) {
    for (size_t i = 0; i < want.size(); ++i) {
        const double g = got.get(static_cast<int64_t>(i));
        if (!(fabs(g - want[i]) <= tol * scale[i] + abs_tol(got.dtype))) return static_cast<int64_t>(i);
    }
    return -1;
}

// LlamaRMSNorm: out = w * dtype(x * rstd); scale: |out|.
inline void rms_norm_reference(const Matrix& x, const Matrix& w, double eps, std::vector<double>* out,
                               std::vector<double>* scale, std::vector<double>* rstd) {
    const int64_t n = x.cols;
    out->assign(x.rows * n, 0.0);
    scale->assign(x.rows * n, 0.0);
    rstd->assign(x.rows, 0.0);
    for (int64_t r = 0; r < x.rows; ++r) {
        double sum = 0;
        for (int64_t c = 0; c < n; ++c) sum += static_cast<double>(x.get(r * n + c)) * x.get(r * n + c);
        const double s = 1.0 / sqrt(sum / n + eps);
        (*rstd)[r] = s;
        for (int64_t c = 0; c < n; ++c) {
            const double h = round_to(x.dtype, x.get(r * n + c) * s);
            (*out)[r * n + c] = w.get(c) * h;
            (*scale)[r * n + c] = fabs(w.get(c) * x.get(r * n + c) * s);
        }
    }
}

// The gradients of RMSNorm for upstream gradient g: grad_x [rows, n] and grad_w [n], with their scales
// (the sums of magnitudes of the terms, which bound the rounding error of any order of summation).
inline void rms_norm_backward_reference(const Matrix& g, const Matrix& x, const Matrix& w, double eps,
                                        std::vector<double>* gx, std::vector<double>* gx_scale,
                                        std::vector<double>* gw, std::vector<double>* gw_scale) {
    const int64_t n = x.cols;
    gx->assign(x.rows * n, 0.0);
    gx_scale->assign(x.rows * n, 0.0);
    gw->assign(n, 0.0);
    gw_scale->assign(n, 0.0);
    for (int64_t r = 0; r < x.rows; ++r) {
        double sum = 0, dot = 0, dot_abs = 0;
        for (int64_t c = 0; c < n; ++c) sum += static_cast<double>(x.get(r * n + c)) * x.get(r * n + c);
        const double s = 1.0 / sqrt(sum / n + eps);
        for (int64_t c = 0; c < n; ++c) {
            const double term = static_cast<double>(g.get(r * n + c)) * w.get(c) * x.get(r * n + c);
            dot += term;
            dot_abs += fabs(term);
        }
        for (int64_t c = 0; c < n; ++c) {
            const double gh = static_cast<double>(g.get(r * n + c)) * w.get(c);
            const double xc = x.get(r * n + c);
            (*gx)[r * n + c] = s * (gh - xc * s * s * dot / n);
            (*gx_scale)[r * n + c] = s * (fabs(gh) + fabs(xc) * s * s * dot_abs / n);
            const double h = round_to(x.dtype, xc * s);
            (*gw)[c] += g.get(r * n + c) * h;
            (*gw_scale)[c] += fabs(g.get(r * n + c) * h);
        }
    }
}

// theta^(-2i/d) as transformers computes it in f32: 1 / pow(theta, f32(2i) / f32(d)).
inline std::vector<float> inverse_frequencies(double theta, int64_t d) {
    std::vector<float> inv(d / 2);
    for (int64_t i = 0; i < d / 2; ++i) {
        const float e = static_cast<float>(2 * i) / static_cast<float>(d);
        inv[i] = 1.0f / static_cast<float>(pow(static_cast<double>(static_cast<float>(theta)), e));
    }
    return inv;
}

// x * cos + rotate_half(x) * sin with cos and sin rounded to the dtype; x [batch, T, heads, d].
inline void rope_reference(const Matrix& x, const std::vector<float>& inv, int64_t batch, int64_t T, int64_t heads,
                           int64_t d, int64_t start, std::vector<double>* out, std::vector<double>* scale) {
    const int64_t half = d / 2;
    out->assign(batch * T * heads * d, 0.0);
    scale->assign(out->size(), 0.0);
    for (int64_t bt = 0; bt < batch * T; ++bt)
        for (int64_t i = 0; i < half; ++i) {
            const float angle = inv[i] * static_cast<float>(start + bt % T);
            const double c = round_to(x.dtype, cos(static_cast<double>(angle)));
            const double s = round_to(x.dtype, sin(static_cast<double>(angle)));
            for (int64_t h = 0; h < heads; ++h) {
                const int64_t base = (bt * heads + h) * d;
                const double a = x.get(base + i), b = x.get(base + i + half);
                (*out)[base + i] = a * c - b * s;
                (*out)[base + i + half] = b * c + a * s;
                (*scale)[base + i] = (*scale)[base + i + half] = fabs(a) + fabs(b);
            }
        }
}

// Causal GQA with the queries at the last T of kv_len positions; scale: max |v| over the keys attended.
inline void attention_reference(const Matrix& q, const Matrix& k, const Matrix& v, int64_t batch, int64_t T,
                                int64_t q_heads, int64_t kv_heads, int64_t d, int64_t kv_len, int64_t kv_stride,
                                double scale_factor, std::vector<double>* out, std::vector<double>* scale) {
    const int64_t group = q_heads / kv_heads;
    out->assign(batch * T * q_heads * d, 0.0);
    scale->assign(out->size(), 0.0);
    std::vector<double> s(kv_len);
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = 0; t < T; ++t)
            for (int64_t h = 0; h < q_heads; ++h) {
                const int64_t row = (b * T + t) * q_heads + h;
                const int64_t last = kv_len - T + t;
                double max = -INFINITY;
                for (int64_t j = 0; j <= last; ++j) {
                    double dot = 0;
                    for (int64_t e = 0; e < d; ++e)
                        dot += static_cast<double>(q.get(row * d + e)) *
                               k.get(((b * kv_stride + j) * kv_heads + h / group) * d + e);
                    s[j] = dot * scale_factor;
                    max = fmax(max, s[j]);
                }
                double sum = 0;
                for (int64_t j = 0; j <= last; ++j) sum += exp(s[j] - max);
                for (int64_t e = 0; e < d; ++e) {
                    double acc = 0, vmax = 0;
                    for (int64_t j = 0; j <= last; ++j) {
                        const double vj = v.get(((b * kv_stride + j) * kv_heads + h / group) * d + e);
                        acc += exp(s[j] - max) / sum * vj;
                        vmax = fmax(vmax, fabs(vj));
                    }
                    (*out)[row * d + e] = acc;
                    (*scale)[row * d + e] = vmax;
                }
            }
}

inline void softmax_reference(const Matrix& x, std::vector<double>* out) {
    out->assign(x.rows * x.cols, 0.0);
    for (int64_t r = 0; r < x.rows; ++r) {
        double max = -INFINITY, sum = 0;
        for (int64_t c = 0; c < x.cols; ++c) max = fmax(max, x.get(r * x.cols + c));
        for (int64_t c = 0; c < x.cols; ++c) sum += exp(x.get(r * x.cols + c) - max);
        for (int64_t c = 0; c < x.cols; ++c) (*out)[r * x.cols + c] = exp(x.get(r * x.cols + c) - max) / sum;
    }
}

}  // namespace test
