// Tests of bnb_cpu_gemm against a double-precision reference: every dtype, both transposes, odd shapes,
// strides, alpha/beta/bias, and bad arguments.
#include "bnb/gemm.h"
#include "common/half_convert.h"
#include "test_util.h"

namespace {

using test::Random;

// A value representable in dtype, stored in the 16-bit or 32-bit container the kernel reads.
struct Matrix {
    int32_t dtype;
    std::vector<float> values;     // what the kernel sees, as float
    std::vector<uint16_t> halves;  // F16/BF16 storage
    std::vector<float> floats;     // F32 storage

    Matrix(int32_t d, int64_t n, Random& rng) : dtype(d), values(n), halves(n), floats(n) {
        for (int64_t i = 0; i < n; ++i) values[i] = round_trip(rng.normal());
        for (int64_t i = 0; i < n; ++i) set_storage(i, values[i]);
    }
    float round_trip(float v) const {
        if (dtype == BNB_F16) return bnb::half_to_float(bnb::float_to_half(v));
        if (dtype == BNB_BF16) return bnb::bf16_to_float(bnb::float_to_bf16(v));
        return v;
    }
    void set_storage(int64_t i, float v) {
        if (dtype == BNB_F16) halves[i] = bnb::float_to_half(v);
        if (dtype == BNB_BF16) halves[i] = bnb::float_to_bf16(v);
        floats[i] = v;
    }
    float get(int64_t i) const {
        if (dtype == BNB_F16) return bnb::half_to_float(halves[i]);
        if (dtype == BNB_BF16) return bnb::bf16_to_float(halves[i]);
        return floats[i];
    }
    void* data() { return dtype == BNB_F32 ? static_cast<void*>(floats.data()) : halves.data(); }
};

// Relative precision of one rounding to dtype.
double unit(int32_t dtype) { return dtype == BNB_F32 ? 0x1p-24 : dtype == BNB_F16 ? 0x1p-11 : 0x1p-8; }

void check_case(int32_t dtype, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, int64_t pad, float alpha,
                float beta, bool with_bias, Random& rng) {
    bnb_gemm_desc d{};
    d.dtype = dtype;
    d.trans_a = trans_a;
    d.trans_b = trans_b;
    d.M = M;
    d.N = N;
    d.K = K;
    d.lda = std::max<int64_t>(1, trans_a ? M : K) + pad;
    d.ldb = std::max<int64_t>(1, trans_b ? K : N) + pad;
    d.ldo = N + pad;
    d.alpha = alpha;
    d.beta = beta;
    Matrix a(dtype, (trans_a ? K : M) * d.lda, rng), b(dtype, (trans_b ? N : K) * d.ldb, rng);
    Matrix bias(dtype, N, rng), out(dtype, M * d.ldo, rng);
    std::vector<float> before = out.values;
    CHECK_OK(bnb_cpu_gemm(&d, a.data(), b.data(), with_bias ? bias.data() : nullptr, out.data()));
    for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
            double sum = 0, magnitude = 0;
            for (int64_t k = 0; k < K; ++k) {
                double x = a.values[trans_a ? k * d.lda + m : m * d.lda + k];
                double y = b.values[trans_b ? n * d.ldb + k : k * d.ldb + n];
                sum += x * y;
                magnitude += fabs(x * y);
            }
            double expected = alpha * sum + beta * before[m * d.ldo + n] + (with_bias ? bias.values[n] : 0.0);
            magnitude = fabs(alpha) * magnitude + fabs(beta * before[m * d.ldo + n]) +
                        (with_bias ? fabs(bias.values[n]) : 0.0);
            double got = out.get(m * d.ldo + n);
            // f32 sums: K roundings of 2^-24; then one rounding of the result to dtype.
            double tolerance = (K + 3) * 0x1p-24 * magnitude + unit(dtype) * fabs(expected) + 1e-30;
            CHECK_OR_RETURN(fabs(got - expected) <= tolerance,
                            "dtype %d ta %d tb %d M %lld N %lld K %lld: out[%lld,%lld] = %.9g, expected %.9g", dtype,
                            trans_a, trans_b, static_cast<long long>(M), static_cast<long long>(N),
                            static_cast<long long>(K), static_cast<long long>(m), static_cast<long long>(n), got,
                            expected);
        }
        // The padding between rows is not written.
        for (int64_t n = N; n < d.ldo; ++n)
            CHECK_OR_RETURN(test::same_float(out.get(m * d.ldo + n), before[m * d.ldo + n]), "padding written");
    }
}

void test_shapes() {
    Random rng(7);
    const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {1, 300, 513}, {33, 257, 300}, {70, 1, 4097}, {65, 260, 0}};
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                for (const auto& s : shapes) {
                    check_case(dtype, ta, tb, s[0], s[1], s[2], 0, 1.0f, 0.0f, false, rng);
                    check_case(dtype, ta, tb, s[0], s[1], s[2], 3, -0.5f, 1.0f, true, rng);
                }
}

// beta == 0 ignores whatever out held before, NaN included (cuBLAS semantics).
void test_beta_zero_ignores_nan() {
    bnb_gemm_desc d{BNB_F32, 0, 1, 2, 2, 1, 1, 1, 2, 1.0f, 0.0f};
    float a[2] = {1, 2}, b[2] = {3, 4}, out[4] = {NAN, NAN, NAN, NAN};
    CHECK_OK(bnb_cpu_gemm(&d, a, b, nullptr, out));
    CHECK(out[0] == 3 && out[1] == 4 && out[2] == 6 && out[3] == 8, "got %g %g %g %g", out[0], out[1], out[2], out[3]);
}

void test_bad_arguments() {
    float a[4] = {}, b[4] = {}, out[4] = {};
    const bnb_gemm_desc good{BNB_F32, 0, 0, 2, 2, 2, 2, 2, 2, 1.0f, 0.0f};
    CHECK_OK(bnb_cpu_gemm(&good, a, b, nullptr, out));
    CHECK_FAILS(bnb_cpu_gemm(nullptr, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    bnb_gemm_desc d = good;
    d.trans_a = 2;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.M = -1;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.lda = 1;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.ldo = 1;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.alpha = NAN;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.dtype = BNB_U8;
    CHECK_FAILS(bnb_cpu_gemm(&d, a, b, nullptr, out), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_gemm(&good, nullptr, b, nullptr, out), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemm(&good, a, b, nullptr, nullptr), BNB_ERR_INVALID_ARGUMENT);
    d = good;
    d.M = 0;  // nothing to do: no pointer is read
    CHECK_OK(bnb_cpu_gemm(&d, nullptr, nullptr, nullptr, nullptr));
}

}  // namespace

int main() {
    test_shapes();
    test_beta_zero_ignores_nan();
    test_bad_arguments();
    return test::finish_program("bnb_gemm_cpu_tests");
}
