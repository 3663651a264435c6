// The transformer ops of libbnb_cpu (bnb/transformer.h) against double-precision references, in every dtype,
// at odd sizes, and with bad arguments.
#include "transformer_cases.h"

namespace {

test::TransformerOps cpu_ops() {
    test::TransformerOps ops;
    ops.rms_norm = [](int32_t dtype, const test::Matrix& x, const test::Matrix& w, test::Matrix* out,
                      std::vector<float>* rstd, float eps) {
        return bnb_cpu_rms_norm(dtype, x.data(), w.data(), out->data(), rstd->data(), x.rows, x.cols, eps);
    };
    ops.rms_norm_backward = [](int32_t dtype, const test::Matrix& g, const test::Matrix& x, const test::Matrix& w,
                               test::Matrix* gx, test::Matrix* gw, float eps, int32_t accumulate) {
        std::vector<float> rstd(x.rows);
        return bnb_cpu_rms_norm_backward(dtype, g.data(), x.data(), w.data(), gx->data(), gw->data(), rstd.data(),
                                         x.rows, x.cols, eps, accumulate);
    };
    ops.rope = [](int32_t dtype, const test::Matrix& x, test::Matrix* out, const std::vector<float>& inv,
                  int64_t batch, int64_t T, int64_t heads, int64_t d, int64_t start) {
        return bnb_cpu_rope(dtype, x.data(), out->data(), inv.data(), batch, T, heads, d, start);
    };
    ops.attention = [](int32_t dtype, const test::Matrix& q, const test::Matrix& k, const test::Matrix& v,
                       test::Matrix* out, int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                       int64_t kv_len, int64_t kv_stride, float scale, int64_t workspace_len) {
        (void)workspace_len;
        return bnb_cpu_attention(dtype, q.data(), k.data(), v.data(), out->data(), batch, T, q_heads, kv_heads, d,
                                 kv_len, kv_stride, scale, nullptr, 0);
    };
    ops.softmax = [](int32_t dtype, const test::Matrix& x, int32_t out_dtype, test::Matrix* out) {
        return bnb_cpu_softmax(dtype, x.data(), out_dtype, out->data(), x.rows, x.cols);
    };
    ops.argmax = [](int32_t dtype, const test::Matrix& x, std::vector<int64_t>* out) {
        return bnb_cpu_argmax(dtype, x.data(), out->data(), x.rows, x.cols);
    };
    return ops;
}

// In place (out == x) gives the out-of-place result.
void in_place_cases() {
    for (int32_t dtype : test::kDtypes) {
        test::Matrix x = test::random_matrix(dtype, 6, 64, 3);
        test::Matrix w = test::random_matrix(dtype, 1, 64, 4);
        test::Matrix separate(dtype, 6, 64);
        test::Matrix inplace = x;
        CHECK_OK(bnb_cpu_rms_norm(dtype, x.data(), w.data(), separate.data(), nullptr, 6, 64, 1e-6f));
        CHECK_OK(bnb_cpu_rms_norm(dtype, inplace.data(), w.data(), inplace.data(), nullptr, 6, 64, 1e-6f));
        CHECK(separate.bytes == inplace.bytes, "rms_norm in place differs (%s)", test::dtype_label(dtype));
        const std::vector<float> inv = test::inverse_frequencies(500000.0, 64);
        inplace = x;
        CHECK_OK(bnb_cpu_rope(dtype, x.data(), separate.data(), inv.data(), 1, 3, 2, 64, 7));
        CHECK_OK(bnb_cpu_rope(dtype, inplace.data(), inplace.data(), inv.data(), 1, 3, 2, 64, 7));
        CHECK(separate.bytes == inplace.bytes, "rope in place differs (%s)", test::dtype_label(dtype));
    }
}

void null_and_empty_cases() {
    float x[4] = {1, 2, 3, 4}, out[4] = {};
    CHECK_FAILS(bnb_cpu_rms_norm(BNB_F32, nullptr, x, out, nullptr, 1, 4, 1e-5f), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_rms_norm(BNB_F32, x, x, out, nullptr, 1, 0, 1e-5f), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_attention(BNB_F32, x, nullptr, x, out, 1, 1, 1, 1, 4, 1, 1, 0.5f, nullptr, 0),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_rms_norm(BNB_F32, x, x, out, nullptr, INT64_MAX, 2, 1e-5f), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_argmax(BNB_F32, x, nullptr, 1, 4), BNB_ERR_INVALID_ARGUMENT);
    // Empty inputs read and write nothing, even through NULL pointers.
    CHECK_OK(bnb_cpu_rms_norm(BNB_F32, nullptr, nullptr, nullptr, nullptr, 0, 4, 1e-5f));
    CHECK_OK(bnb_cpu_rope(BNB_F32, nullptr, nullptr, nullptr, 1, 0, 2, 8, 0));
    CHECK_OK(bnb_cpu_attention(BNB_F32, nullptr, nullptr, nullptr, nullptr, 1, 0, 2, 1, 8, 0, 0, 0.5f, nullptr, 0));
    CHECK_OK(bnb_cpu_softmax(BNB_F32, nullptr, BNB_F32, nullptr, 0, 4));
}

}  // namespace

int main() {
    const test::TransformerOps ops = cpu_ops();
    test::rms_norm_cases(ops);
    test::rope_cases(ops);
    test::attention_cases(ops, false);
    test::softmax_argmax_cases(ops);
    test::bad_input_cases(ops);
    in_place_cases();
    null_and_empty_cases();
    return test::finish_program("bnb_transformer_cpu_tests");
}
