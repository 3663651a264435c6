// Tests of libbnb_cpu's nn entry points (bnb/nn_ops.h): Philox4x32-10 against Random123's known answers, every op
// against a double-precision reference on odd sizes in f32 (and rounding in f16/bf16 where it matters), index and
// label checks that write nothing, and bad arguments. The Java conformance suites cover the rest on both backends.
#include "common/half_convert.h"
#include "common/nn_math.h"
#include "test_util.h"

namespace {

// |got - want| <= tol * (1 + |want|)
bool close(double got, double want, double tol) { return fabs(got - want) <= tol * (1.0 + fabs(want)); }

void test_philox_known_answers() {
    // Random123's kat_vectors for philox4x32 with 10 rounds: counter, key, result.
    struct Case {
        uint32_t ctr[4];
        uint32_t key[2];
        uint32_t out[4];
    } cases[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (const Case& c : cases) {
        bnb::Philox4 r = bnb::philox4x32_10(bnb::Philox4{{c.ctr[0], c.ctr[1], c.ctr[2], c.ctr[3]}}, c.key[0], c.key[1]);
        for (int k = 0; k < 4; ++k) CHECK(r.w[k] == c.out[k], "philox word %d = %08x, want %08x", k, r.w[k], c.out[k]);
    }
}

void test_dropout() {
    const int64_t n = 4097;
    std::vector<float> x(n), y(n, -1.0f);
    test::Random rng(7);
    for (float& v : x) v = rng.normal();
    const float p = 0.3f;
    const uint64_t seed = 0x123456789abcdefull, offset = 5;
    CHECK_OK(bnb_cpu_nn_dropout(BNB_F32, x.data(), p, seed, offset, y.data(), n));
    int64_t kept = 0;
    const uint32_t threshold = static_cast<uint32_t>(llrint(0.3 * 16777216.0));
    for (int64_t i = 0; i < n; ++i) {
        bnb::Philox4 w = bnb::philox4x32_10(bnb::Philox4{{static_cast<uint32_t>(offset + i / 4), 0, 0, 0}},
                                            static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
        const bool keep = (w.w[i % 4] >> 8) >= threshold;
        const float want = keep ? x[i] * (1.0f / (1.0f - p)) : 0.0f;
        CHECK_OR_RETURN(test::bits_of(y[i]) == test::bits_of(want), "dropout[%lld] = %a, want %a", (long long)i, y[i],
                        want);
        kept += keep;
    }
    CHECK(kept > n * 0.65 && kept < n * 0.75, "kept %lld of %lld with p = 0.3", (long long)kept, (long long)n);
    // p = 0 keeps everything unscaled; p = 1 drops everything.
    CHECK_OK(bnb_cpu_nn_dropout(BNB_F32, x.data(), 0.0f, seed, 0, y.data(), n));
    CHECK(y == x, "p = 0 changed values");
    CHECK_OK(bnb_cpu_nn_dropout(BNB_F32, x.data(), 1.0f, seed, 0, y.data(), n));
    CHECK(std::all_of(y.begin(), y.end(), [](float v) { return v == 0.0f; }), "p = 1 kept values");
    CHECK_FAILS(bnb_cpu_nn_dropout(BNB_F32, x.data(), 1.5f, seed, 0, y.data(), n), BNB_ERR_INVALID_ARGUMENT);
}

double activation(int32_t a, double x) {
    switch (a) {
        case BNB_ACT_RELU: return x > 0 ? x : 0;
        case BNB_ACT_GELU_ERF: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
        case BNB_ACT_GELU_TANH: return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
        case BNB_ACT_TANH: return tanh(x);
        default: return x / (1 + exp(-x));
    }
}

void test_activations() {
    const int64_t n = 1003;
    std::vector<float> x(n), g(n), y(n), dx(n);
    test::Random rng(3);
    for (int64_t i = 0; i < n; ++i) {
        x[i] = rng.uniform(-6.0f, 6.0f);
        g[i] = rng.normal();
    }
    for (int32_t a : {BNB_ACT_RELU, BNB_ACT_GELU_ERF, BNB_ACT_GELU_TANH, BNB_ACT_TANH, BNB_ACT_SILU}) {
        CHECK_OK(bnb_cpu_nn_activation(BNB_F32, a, x.data(), y.data(), n));
        CHECK_OK(bnb_cpu_nn_activation_backward(BNB_F32, a, x.data(), g.data(), dx.data(), n));
        for (int64_t i = 0; i < n; ++i) {
            CHECK_OR_RETURN(close(y[i], activation(a, x[i]), 1e-6), "act %d f(%g) = %g", a, x[i], y[i]);
            const double h = 1e-4;  // central difference in double
            const double d = (activation(a, x[i] + h) - activation(a, x[i] - h)) / (2 * h);
            CHECK_OR_RETURN(close(dx[i], g[i] * d, 1e-4), "act %d f'(%g) * %g = %g, want %g", a, x[i], g[i], dx[i],
                            g[i] * d);
        }
    }
    CHECK_FAILS(bnb_cpu_nn_activation(BNB_F32, 9, x.data(), y.data(), n), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_nn_activation(BNB_I32, BNB_ACT_RELU, x.data(), y.data(), n), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_nn_activation(BNB_F32, BNB_ACT_RELU, nullptr, y.data(), n), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_nn_activation(BNB_F32, BNB_ACT_RELU, x.data(), y.data(), -1), BNB_ERR_INVALID_ARGUMENT);
}

void test_add_broadcast_and_sum_rows() {
    const int64_t rows = 5, cols = 3;
    std::vector<uint16_t> a(rows * cols), b(cols), out(rows * cols), sums(cols);
    for (int64_t i = 0; i < rows * cols; ++i) a[i] = bnb::float_to_bf16(static_cast<float>(i));
    for (int64_t c = 0; c < cols; ++c) b[c] = bnb::float_to_bf16(0.5f * c);
    CHECK_OK(bnb_cpu_nn_add(BNB_BF16, a.data(), b.data(), -2.0f, out.data(), rows * cols, cols));
    for (int64_t i = 0; i < rows * cols; ++i)
        CHECK(bnb::bf16_to_float(out[i]) == static_cast<float>(i) - 1.0f * (i % cols), "add[%lld]", (long long)i);
    CHECK_FAILS(bnb_cpu_nn_add(BNB_BF16, a.data(), b.data(), 1.0f, out.data(), rows * cols, 4),
                BNB_ERR_INVALID_ARGUMENT);
    for (uint16_t& s : sums) s = bnb::float_to_bf16(1.0f);
    CHECK_OK(bnb_cpu_nn_sum_rows(BNB_BF16, a.data(), rows, cols, sums.data(), 1));
    for (int64_t c = 0; c < cols; ++c) {
        float want = 1.0f;
        for (int64_t r = 0; r < rows; ++r) want += static_cast<float>(r * cols + c);
        CHECK(bnb::bf16_to_float(sums[c]) == want, "sum_rows[%lld] = %g, want %g", (long long)c,
              bnb::bf16_to_float(sums[c]), want);
    }
}

void test_layer_norm() {
    const int64_t rows = 3, cols = 37;
    std::vector<float> x(rows * cols), w(cols), b(cols), y(rows * cols), mean(rows), rstd(rows), dy(rows * cols),
        dx(rows * cols), dw(cols, 0.0f), db(cols, 0.0f);
    test::Random rng(11);
    for (float& v : x) v = 3.0f + rng.normal();
    for (float& v : dy) v = rng.normal();
    for (int64_t c = 0; c < cols; ++c) {
        w[c] = rng.normal();
        b[c] = rng.normal();
    }
    const float eps = 1e-5f;
    CHECK_OK(bnb_cpu_nn_layer_norm(BNB_F32, x.data(), w.data(), b.data(), eps, rows, cols, y.data(), mean.data(),
                                   rstd.data()));
    CHECK_OK(bnb_cpu_nn_layer_norm_backward(BNB_F32, dy.data(), x.data(), w.data(), mean.data(), rstd.data(), rows,
                                            cols, dx.data(), dw.data(), db.data()));
    std::vector<double> want_dw(cols, 0.0), want_db(cols, 0.0);
    for (int64_t r = 0; r < rows; ++r) {
        double mu = 0, var = 0;
        for (int64_t c = 0; c < cols; ++c) mu += x[r * cols + c];
        mu /= cols;
        for (int64_t c = 0; c < cols; ++c) var += (x[r * cols + c] - mu) * (x[r * cols + c] - mu);
        const double rs = 1 / sqrt(var / cols + eps);
        CHECK(close(mean[r], mu, 1e-6) && close(rstd[r], rs, 1e-5), "row %lld: mean %g rstd %g", (long long)r,
              mean[r], rstd[r]);
        double sg = 0, sgx = 0;
        for (int64_t c = 0; c < cols; ++c) {
            const double xh = (x[r * cols + c] - mu) * rs, g = dy[r * cols + c] * w[c];
            CHECK_OR_RETURN(close(y[r * cols + c], xh * w[c] + b[c], 1e-5), "y[%lld, %lld]", (long long)r,
                            (long long)c);
            sg += g;
            sgx += g * xh;
            want_dw[c] += dy[r * cols + c] * xh;
            want_db[c] += dy[r * cols + c];
        }
        for (int64_t c = 0; c < cols; ++c) {
            const double xh = (x[r * cols + c] - mu) * rs, g = dy[r * cols + c] * w[c];
            const double want = rs * (g - sg / cols - xh * sgx / cols);
            CHECK_OR_RETURN(close(dx[r * cols + c], want, 1e-4), "dx[%lld, %lld] = %g, want %g", (long long)r,
                            (long long)c, dx[r * cols + c], want);
        }
    }
    for (int64_t c = 0; c < cols; ++c)
        CHECK(close(dw[c], want_dw[c], 1e-5) && close(db[c], want_db[c], 1e-5), "dw/db[%lld]", (long long)c);
    CHECK_FAILS(bnb_cpu_nn_layer_norm(BNB_F32, x.data(), nullptr, nullptr, -1.0f, rows, cols, y.data(), nullptr,
                                      nullptr),
                BNB_ERR_INVALID_ARGUMENT);
}

void test_embedding() {
    const int64_t rows = 4, row_bytes = 3;
    const uint8_t table[rows * row_bytes] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    const int64_t idx[3] = {3, 0, 3};
    uint8_t out[9] = {};
    CHECK_OK(bnb_cpu_nn_embedding(table, rows, row_bytes, BNB_I64, idx, 3, out));
    const uint8_t want[9] = {10, 11, 12, 1, 2, 3, 10, 11, 12};
    CHECK(memcmp(out, want, sizeof want) == 0, "gathered rows");
    const int32_t bad[3] = {1, 4, 0};
    uint8_t untouched[9];
    memset(untouched, 0x5a, sizeof untouched);
    CHECK_FAILS(bnb_cpu_nn_embedding(table, rows, row_bytes, BNB_I32, bad, 3, untouched), BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "indices[1] = 4") != nullptr, "message: %s", bnb_last_error());
    CHECK(std::all_of(untouched, untouched + 9, [](uint8_t v) { return v == 0x5a; }), "a failed gather wrote");

    // backward: duplicates add up, padding_idx adds nothing
    float grad_out[3 * 2] = {1, 2, 3, 4, 5, 6};
    float grad_table[4 * 2] = {};
    const int32_t i32[3] = {2, 1, 2};
    CHECK_OK(bnb_cpu_nn_embedding_backward(BNB_F32, grad_out, BNB_I32, i32, 3, 4, 2, 1, grad_table));
    const float want_table[8] = {0, 0, 0, 0, 6, 8, 0, 0};
    CHECK(memcmp(grad_table, want_table, sizeof want_table) == 0, "scatter-add");
    CHECK_FAILS(bnb_cpu_nn_embedding_backward(BNB_F32, grad_out, BNB_I32, bad, 3, 4, 2, -1, grad_table),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(memcmp(grad_table, want_table, sizeof want_table) == 0, "a failed scatter wrote");
    CHECK_FAILS(bnb_cpu_nn_embedding(table, rows, row_bytes, BNB_U8, idx, 3, out), BNB_ERR_UNSUPPORTED);
}

void test_cross_entropy() {
    const int64_t rows = 3, classes = 4;
    const float logits[rows * classes] = {1, 2, 3, 4, -1, 0, 1, 0.5f, 10, 0, 0, 0};
    const int64_t labels[rows] = {3, -100, 1};
    float loss = 0, lse[rows], count = 0, grad[rows * classes];
    CHECK_OK(bnb_cpu_nn_cross_entropy(BNB_F32, logits, BNB_I64, labels, rows, classes, -100, &loss, lse, &count));
    double want = 0;
    for (int64_t m : {0, 2}) {
        double s = 0;
        for (int64_t c = 0; c < classes; ++c) s += exp(logits[m * classes + c]);
        want += log(s) - logits[m * classes + labels[m]];
    }
    CHECK(count == 2.0f && close(loss, want / 2, 1e-6), "loss %g (count %g), want %g", loss, count, want / 2);
    const float g = 2.0f;
    CHECK_OK(bnb_cpu_nn_cross_entropy_backward(BNB_F32, logits, BNB_I64, labels, lse, &count, &g, rows, classes, -100,
                                               grad));
    for (int64_t c = 0; c < classes; ++c) CHECK(grad[classes + c] == 0.0f, "ignored row has a gradient");
    double row_sum = 0;
    for (int64_t c = 0; c < classes; ++c) row_sum += grad[c];
    CHECK(fabs(row_sum) < 1e-6, "a softmax gradient row sums to 0, got %g", row_sum);
    const int64_t bad[rows] = {3, 4, 1};
    loss = 42;
    CHECK_FAILS(bnb_cpu_nn_cross_entropy(BNB_F32, logits, BNB_I64, bad, rows, classes, -100, &loss, lse, &count),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(loss == 42, "a failed loss wrote");
    const int64_t ignored[rows] = {-100, -100, -100};
    CHECK_OK(bnb_cpu_nn_cross_entropy(BNB_F32, logits, BNB_I64, ignored, rows, classes, -100, &loss, lse, &count));
    CHECK(isnan(loss) && count == 0.0f, "all ignored: loss %g, count %g", loss, count);
}

// Casts against hand-computed bits: ties to even in f16 and bf16, overflow to infinity, subnormals, NaN, and the
// exact round trip of 16-bit values through f32.
void test_cast() {
    const float x[] = {1.0f, 1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, 65504.0f, 65520.0f, 0x1p-24f, -0.0f,
                       1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 3.0e38f, NAN};
    const int64_t n = sizeof(x) / sizeof(x[0]);
    const uint16_t want_half[n] = {0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7c00, 0x0001, 0x8000, 0x3c04, 0x3c0c, 0x7c00,
                                   0x7fff};
    const uint16_t want_bf16[n] = {0x3f80, 0x3f80, 0x3f80, 0x4780, 0x4780, 0x3380, 0x8000, 0x3f80, 0x3f82, 0x7f62,
                                   0x7fff};
    uint16_t half[n], bf16[n], half_from_bf16[n];
    float back[n];
    CHECK_OK(bnb_cpu_nn_cast(BNB_F32, x, BNB_F16, half, n));
    CHECK_OK(bnb_cpu_nn_cast(BNB_F32, x, BNB_BF16, bf16, n));
    for (int64_t i = 0; i < n - 1; ++i) {
        CHECK(half[i] == want_half[i], "f32 %a -> f16 %04x, want %04x", x[i], half[i], want_half[i]);
        CHECK(bf16[i] == want_bf16[i], "f32 %a -> bf16 %04x, want %04x", x[i], bf16[i], want_bf16[i]);
    }
    CHECK((half[n - 1] & 0x7c00) == 0x7c00 && (half[n - 1] & 0x3ff) != 0, "NaN -> f16 %04x", half[n - 1]);
    CHECK((bf16[n - 1] & 0x7f80) == 0x7f80 && (bf16[n - 1] & 0x7f) != 0, "NaN -> bf16 %04x", bf16[n - 1]);
    CHECK_OK(bnb_cpu_nn_cast(BNB_F16, half, BNB_F32, back, n));
    for (int64_t i = 0; i < n - 1; ++i)
        CHECK(test::bits_of(back[i]) == test::bits_of(bnb::half_to_float(half[i])), "f16 %04x -> f32 %a", half[i],
              back[i]);
    // bf16 -> f16 goes through f32 (exact) and rounds once; 3e38 overflows to infinity.
    CHECK_OK(bnb_cpu_nn_cast(BNB_BF16, bf16, BNB_F16, half_from_bf16, n));
    for (int64_t i = 0; i < n - 1; ++i) {
        const uint16_t want = bnb::float_to_half(bnb::bf16_to_float(bf16[i]));
        CHECK(half_from_bf16[i] == want, "bf16 %04x -> f16 %04x, want %04x", bf16[i], half_from_bf16[i], want);
    }
    CHECK_OK(bnb_cpu_nn_cast(BNB_F32, x, BNB_F32, back, n));
    CHECK(memcmp(back, x, sizeof(x)) == 0, "an f32 -> f32 cast is not a copy");
    CHECK_OK(bnb_cpu_nn_cast(BNB_F32, nullptr, BNB_F16, nullptr, 0));
    CHECK_FAILS(bnb_cpu_nn_cast(BNB_U8, x, BNB_F16, half, n), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_nn_cast(BNB_F32, x, BNB_I8, half, n), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_nn_cast(BNB_F32, x, BNB_F16, half, -1), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_nn_cast(BNB_F32, nullptr, BNB_F16, half, n), BNB_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main() {
    test_philox_known_answers();
    test_dropout();
    test_activations();
    test_add_broadcast_and_sum_rows();
    test_layer_norm();
    test_embedding();
    test_cross_entropy();
    test_cast();
    return test::finish_program("bnb_nn_cpu_tests");
}
