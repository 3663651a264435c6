// The cases of the transformer test programs, run against any backend through a table of its entry points:
// the CPU test program passes the bnb_cpu_* functions, the CUDA one wrappers that copy to and from the GPU.
#pragma once

#include <functional>

#include "transformer_reference.h"

namespace test {

// One backend's ops on host buffers (the CUDA table copies them to the device and back).
struct TransformerOps {
    std::function<bnb_status(int32_t, const Matrix& x, const Matrix& w, Matrix* out, std::vector<float>* rstd,
                             float eps)>
        rms_norm;
    std::function<bnb_status(int32_t, const Matrix& g, const Matrix& x, const Matrix& w, Matrix* gx, Matrix* gw,
                             float eps, int32_t accumulate)>
        rms_norm_backward;
    std::function<bnb_status(int32_t, const Matrix& x, Matrix* out, const std::vector<float>& inv, int64_t batch,
                             int64_t T, int64_t heads, int64_t d, int64_t start)>
        rope;
    // workspace_len floats of workspace (0: none)
    std::function<bnb_status(int32_t, const Matrix& q, const Matrix& k, const Matrix& v, Matrix* out, int64_t batch,
                             int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d, int64_t kv_len,
                             int64_t kv_stride, float scale, int64_t workspace_len)>
        attention;
    std::function<bnb_status(int32_t, const Matrix& x, int32_t out_dtype, Matrix* out)> softmax;
    std::function<bnb_status(int32_t, const Matrix& x, std::vector<int64_t>* out)> argmax;
};

inline constexpr int32_t kDtypes[] = {BNB_F32, BNB_F16, BNB_BF16};

inline void check_close(const Matrix& got, const std::vector<double>& want, const std::vector<double>& scale,
                        double tol, const char* what, int32_t dtype, int64_t a, int64_t b) {
    const int64_t i = first_mismatch(got, want, scale, tol);
    CHECK(i < 0, "%s %s (%lld, %lld): element %lld is %.9g, want %.9g (tol %.3g of %.3g)", what, dtype_label(dtype),
          (long long)a, (long long)b, (long long)i, i < 0 ? 0.0 : got.get(i), i < 0 ? 0.0 : want[i], tol,
          i < 0 ? 0.0 : scale[i]);
}

inline void rms_norm_cases(const TransformerOps& ops) {
    for (int32_t dtype : kDtypes)
        for (auto [rows, n] : {std::pair<int64_t, int64_t>{1, 1}, {3, 7}, {4, 4096}, {2, 4097}, {33, 64}}) {
            Matrix x = random_matrix(dtype, rows, n, rows * 100 + n, 2.0f);
            Matrix w = random_matrix(dtype, 1, n, n, 1.0f);
            Matrix out(dtype, rows, n);
            std::vector<float> rstd(rows);
            CHECK_OK(ops.rms_norm(dtype, x, w, &out, &rstd, 1e-5f));
            std::vector<double> want, scale, want_rstd;
            rms_norm_reference(x, w, 1e-5, &want, &scale, &want_rstd);
            check_close(out, want, scale, rel_tol(dtype), "rms_norm", dtype, rows, n);
            for (int64_t r = 0; r < rows; ++r)
                CHECK(fabs(rstd[r] - want_rstd[r]) <= 1e-5 * want_rstd[r], "rstd[%lld] = %g, want %g", (long long)r,
                      rstd[r], want_rstd[r]);

            Matrix g = random_matrix(dtype, rows, n, rows * 7 + n);
            Matrix gx(dtype, rows, n), gw(dtype, 1, n);
            for (int64_t c = 0; c < n; ++c) gw.set(c, 0.5f);
            CHECK_OK(ops.rms_norm_backward(dtype, g, x, w, &gx, &gw, 1e-5f, 1));
            std::vector<double> want_gx, gx_scale, want_gw, gw_scale;
            rms_norm_backward_reference(g, x, w, 1e-5, &want_gx, &gx_scale, &want_gw, &gw_scale);
            check_close(gx, want_gx, gx_scale, rel_tol(dtype), "rms_norm grad_x", dtype, rows, n);
            for (int64_t c = 0; c < n; ++c) {
                want_gw[c] += round_to(dtype, 0.5);
                gw_scale[c] += 0.5;
            }
            check_close(gw, want_gw, gw_scale, rel_tol(dtype), "rms_norm grad_weight (accumulated)", dtype, rows, n);
        }
}

inline void rope_cases(const TransformerOps& ops) {
    for (int32_t dtype : kDtypes)
        for (auto [T, d] : {std::pair<int64_t, int64_t>{1, 2}, {3, 64}, {5, 128}, {2, 6}, {32, 128}})
            for (int64_t start : {0, 95, 4000}) {
                const int64_t batch = 2, heads = 3;
                Matrix x = random_matrix(dtype, batch * T * heads, d, T * 31 + d + start);
                const std::vector<float> inv = inverse_frequencies(10000.0, d);
                Matrix out(dtype, batch * T * heads, d);
                CHECK_OK(ops.rope(dtype, x, &out, inv, batch, T, heads, d, start));
                std::vector<double> want, scale;
                rope_reference(x, inv, batch, T, heads, d, start, &want, &scale);
                check_close(out, want, scale, rel_tol(dtype), "rope", dtype, T, d);
            }
}

inline void attention_cases(const TransformerOps& ops, bool with_workspace) {
    struct Case {
        int64_t batch, T, q_heads, kv_heads, d, kv_len, kv_stride;
    };
    const Case cases[] = {
        {1, 1, 1, 1, 1, 1, 1},        {1, 1, 32, 32, 128, 96, 128}, {1, 32, 32, 32, 128, 32, 64},
        {1, 1, 4, 2, 64, 300, 301},   {2, 3, 4, 1, 3, 7, 9},        {1, 5, 8, 2, 64, 5, 5},
        {1, 1, 8, 8, 128, 4097, 4097}, {3, 2, 6, 3, 96, 40, 50},
    };
    for (int32_t dtype : kDtypes)
        for (const Case& c : cases) {
            Matrix q = random_matrix(dtype, c.batch * c.T * c.q_heads, c.d, c.T * 13 + c.d);
            Matrix k = random_matrix(dtype, c.batch * c.kv_stride * c.kv_heads, c.d, c.kv_len + 5);
            Matrix v = random_matrix(dtype, c.batch * c.kv_stride * c.kv_heads, c.d, c.kv_len + 9);
            Matrix out(dtype, c.batch * c.T * c.q_heads, c.d);
            const float scale = static_cast<float>(1.0 / sqrt(static_cast<double>(c.d)));
            const int64_t workspace = with_workspace ? c.batch * c.T * c.q_heads * 64 * (c.d + 2) : 0;
            CHECK_OK(ops.attention(dtype, q, k, v, &out, c.batch, c.T, c.q_heads, c.kv_heads, c.d, c.kv_len,
                                   c.kv_stride, scale, workspace));
            std::vector<double> want, tol_scale;
            attention_reference(q, k, v, c.batch, c.T, c.q_heads, c.kv_heads, c.d, c.kv_len, c.kv_stride, scale, &want,
                                &tol_scale);
            check_close(out, want, tol_scale, rel_tol(dtype), with_workspace ? "attention (split)" : "attention",
                        dtype, c.kv_len, c.d);
        }
}

inline void softmax_argmax_cases(const TransformerOps& ops) {
    for (int32_t dtype : kDtypes)
        for (auto [rows, n] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {2, 4097}, {1, 32000}})
            for (int32_t out_dtype : kDtypes) {
                Matrix x = random_matrix(dtype, rows, n, rows + n, 3.0f);
                Matrix out(out_dtype, rows, n);
                CHECK_OK(ops.softmax(dtype, x, out_dtype, &out));
                std::vector<double> want;
                softmax_reference(x, &want);
                check_close(out, want, want, rel_tol(out_dtype) + rel_tol(dtype), "softmax", dtype, rows, n);
            }
    for (int32_t dtype : kDtypes)
        for (auto [rows, n] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {2, 4097}, {4, 32000}}) {
            Matrix x = random_matrix(dtype, rows, n, rows * 3 + n);
            if (n > 3) {
                x.set(1 * n - 1, 50.0f);  // row 0: the maximum at the end, tied earlier at 2
                x.set(2, 50.0f);
            }
            if (rows > 2) {
                x.set(2 * n + n / 2, NAN);  // row 2: NaN wins over a larger value, the first NaN over a later one
                x.set(2 * n + n - 1, NAN);
                x.set(2 * n, 1e4f);
            }
            std::vector<int64_t> got(rows, -7);
            CHECK_OK(ops.argmax(dtype, x, &got));
            for (int64_t r = 0; r < rows; ++r) {
                int64_t best = 0;
                for (int64_t c = 1; c < n; ++c) {
                    const float a = x.get(r * n + c), b = x.get(r * n + best);
                    if (!isnan(b) && (isnan(a) || a > b)) best = c;
                }
                CHECK(got[r] == best, "argmax %s row %lld of [%lld, %lld]: %lld, want %lld", dtype_label(dtype),
                      (long long)r, (long long)rows, (long long)n, (long long)got[r], (long long)best);
            }
            if (n > 3) CHECK(got[0] == 2, "argmax tie: %lld, want 2", (long long)got[0]);
        }
}

// Bad arguments fail with the right status and write nothing.
inline void bad_input_cases(const TransformerOps& ops) {
    Matrix x = random_matrix(BNB_F32, 2, 8, 1), w = random_matrix(BNB_F32, 1, 8, 2);
    Matrix out(BNB_F32, 2, 8);
    for (int64_t i = 0; i < 16; ++i) out.set(i, 42.0f);
    std::vector<float> rstd(2, 42.0f);
    auto untouched = [&](const char* what) {
        bool same = true;
        for (int64_t i = 0; i < 16; ++i) same &= out.get(i) == 42.0f;
        CHECK(same, "%s wrote its output", what);
    };
    CHECK_FAILS(ops.rms_norm(BNB_I8, x, w, &out, &rstd, 1e-5f), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(ops.rms_norm(BNB_F32, x, w, &out, &rstd, -1.0f), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.rms_norm(BNB_F32, x, w, &out, &rstd, NAN), BNB_ERR_INVALID_ARGUMENT);
    Matrix gw(BNB_F32, 1, 8);
    CHECK_FAILS(ops.rms_norm_backward(BNB_F32, x, x, w, &out, &gw, 1e-5f, 2), BNB_ERR_INVALID_ARGUMENT);
    untouched("rms_norm");
    const std::vector<float> inv = inverse_frequencies(10000.0, 8);
    CHECK_FAILS(ops.rope(BNB_F32, x, &out, inv, 1, 2, 1, 7, 0), BNB_ERR_INVALID_ARGUMENT);  // odd d
    CHECK_FAILS(ops.rope(BNB_F32, x, &out, inv, 1, 2, 1, 8, -1), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.rope(BNB_F32, x, &out, inv, 1, 2, 1, 8, int64_t{1} << 24), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.rope(BNB_U8, x, &out, inv, 1, 2, 1, 8, 0), BNB_ERR_UNSUPPORTED);
    untouched("rope");
    // q [1, 2, 1, 8]; k and v [1, 2, 1, 8]
    CHECK_FAILS(ops.attention(BNB_F32, x, x, x, &out, 1, 2, 3, 2, 8, 2, 2, 0.5f, 0), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.attention(BNB_F32, x, x, x, &out, 1, 2, 1, 1, 8, 1, 2, 0.5f, 0), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.attention(BNB_F32, x, x, x, &out, 1, 2, 1, 1, 8, 3, 2, 0.5f, 0), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.attention(BNB_F32, x, x, x, &out, 1, 2, 1, 1, 8, 2, 2, 0.0f, 0), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.attention(BNB_F32, x, x, x, &out, 1, 2, 1, 0, 8, 2, 2, 0.5f, 0), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(ops.attention(BNB_I32, x, x, x, &out, 1, 2, 1, 1, 8, 2, 2, 0.5f, 0), BNB_ERR_UNSUPPORTED);
    untouched("attention");
    CHECK_FAILS(ops.softmax(BNB_F32, x, BNB_I64, &out), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(ops.softmax(BNB_I8, x, BNB_F32, &out), BNB_ERR_UNSUPPORTED);
    untouched("softmax");
    std::vector<int64_t> index(2, -7);
    CHECK_FAILS(ops.argmax(BNB_U8, x, &index), BNB_ERR_UNSUPPORTED);
    CHECK(index[0] == -7 && index[1] == -7, "argmax wrote its output");
}

}  // namespace test
