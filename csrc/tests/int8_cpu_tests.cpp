// Tests of libbnb_cpu's int8 entry points (bnb/int8.h): upstream's reference vectors (codes and
// statistics exact, outlier columns equal, the LLM.int8() forward composed from the pieces), the spec's
// formulas on odd shapes, every dtype and both thresholds, special values, and bad arguments. Usage:
//   bnb_int8_cpu_tests PATH_TO/bnb-reference-public.safetensors
#include "int8_cases.h"
#include "int8_reference.h"

namespace {

using test::Matrix;

struct Quantized {
    std::vector<int8_t> codes;
    std::vector<float> stats;
    std::vector<int64_t> outlier_cols;  // the first n_outliers entries written
};

Quantized quantize(const Matrix& a, float threshold) {
    Quantized q;
    q.codes.assign(a.rows * a.cols, 0x55);
    q.stats.assign(a.rows, -1.0f);
    std::vector<int64_t> cols(a.cols + 1, -1);
    int64_t n = -1;
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(a.dtype, a.data(), a.rows, a.cols, threshold, q.codes.data(),
                                           q.stats.data(), cols.data(), &n));
    if (threshold > 0) {
        CHECK(n >= 0 && n <= a.cols, "n_outliers = %lld", (long long)n);
        if (n >= 0 && n <= a.cols) q.outlier_cols.assign(cols.begin(), cols.begin() + n);
    } else {
        CHECK(n == -1 && cols[0] == -1, "threshold 0 wrote the outlier outputs");
    }
    return q;
}

// ---- upstream's reference vectors --------------------------------------------------------------

Matrix from_reference(const test::RefTensor& t, int32_t dtype) {
    Matrix half(BNB_F16, t.shape[0], t.shape[1]);
    half.bytes = t.data;
    Matrix m(dtype, t.shape[0], t.shape[1]);
    for (int64_t i = 0; i < m.rows * m.cols; ++i) m.set(i, half.get(i));
    return m;
}

void test_reference_vectorwise(const test::RefFile& ref) {
    test::RefTensor A = ref.get("int8.A");
    CHECK_OR_RETURN(A.found && A.dtype == "F16" && A.shape.size() == 2, "int8.A missing or not a f16 matrix");
    // f32 holds every f16 value exactly, so it must give the same results.
    for (int32_t dtype : {BNB_F16, BNB_F32}) {
        Matrix a = from_reference(A, dtype);
        for (int th : {0, 6}) {
            const std::string key = "int8.vq_th" + std::to_string(th);
            std::vector<int8_t> cb = ref.get(key + ".CB").as<int8_t>();
            std::vector<float> scb = ref.get(key + ".SCB").as<float>();
            std::vector<int64_t> outliers = ref.get(key + ".outlier_cols").as<int64_t>();
            Quantized q = quantize(a, static_cast<float>(th));
            CHECK_OR_RETURN(cb.size() == q.codes.size() && scb.size() == q.stats.size(), "%s: sizes", key.c_str());
            for (size_t r = 0; r < scb.size(); ++r)
                CHECK_OR_RETURN(test::bits_of(scb[r]) == test::bits_of(q.stats[r]), "%s %s: SCB[%zu] = %a, upstream %a",
                                test::dtype_label(dtype), key.c_str(), r, q.stats[r], scb[r]);
            for (size_t i = 0; i < cb.size(); ++i)
                CHECK_OR_RETURN(cb[i] == q.codes[i], "%s %s: CB[%zu] = %d, upstream %d", test::dtype_label(dtype),
                                key.c_str(), i, q.codes[i], cb[i]);
            if (th > 0) CHECK(q.outlier_cols == outliers, "%s: outlier columns differ", key.c_str());
            else CHECK(outliers.empty(), "%s: upstream has outliers at threshold 0", key.c_str());
        }
    }
}

// The weight of Linear8bitLt: its rows hold values at exactly half their absmax, where the exact quotient
// 127 / absmax rounds the other way than upstream's 127 * (1 / absmax).
void test_reference_weight(const test::RefFile& ref) {
    Matrix w = from_reference(ref.get("int8.W"), BNB_F16);
    for (int th : {0, 6}) {
        const std::string key = "int8.linear_th" + std::to_string(th) + ".state_dict.";
        std::vector<int8_t> cb = ref.get(key + "weight").as<int8_t>();
        std::vector<float> scb = ref.get(key + "SCB").as<float>();
        Quantized q = quantize(w, 0.0f);
        CHECK_OR_RETURN(cb.size() == q.codes.size() && scb.size() == q.stats.size(), "%s: sizes", key.c_str());
        CHECK(memcmp(scb.data(), q.stats.data(), scb.size() * 4) == 0, "%sSCB differs", key.c_str());
        for (size_t i = 0; i < cb.size(); ++i)
            CHECK_OR_RETURN(cb[i] == q.codes[i], "%sweight[%zu] = %d, upstream %d", key.c_str(), i, q.codes[i], cb[i]);
        std::vector<uint8_t> format = ref.get(key + "weight_format").as<uint8_t>();
        CHECK(format.size() == 1 && format[0] == 0, "%sweight_format is not the row format 0", key.c_str());
    }
}

// LLM.int8() forward from the pieces: quantize A, int8 GEMM with the state dict's weight, mm_dequant with
// bias, plus the outlier columns in 16-bit (a plain loop here; cuBLAS on the GPU).
void test_reference_linear(const test::RefFile& ref) {
    Matrix a = from_reference(ref.get("int8.A"), BNB_F16);
    const int64_t M = a.rows, K = a.cols;
    for (int th : {0, 6}) {
        const std::string key = "int8.linear_th" + std::to_string(th);
        std::vector<int8_t> cb = ref.get(key + ".state_dict.weight").as<int8_t>();
        std::vector<float> scb = ref.get(key + ".state_dict.SCB").as<float>();
        test::RefTensor bias = ref.get(key + ".state_dict.bias");
        test::RefTensor expected = ref.get(key + ".out");
        const int64_t N = static_cast<int64_t>(scb.size());
        CHECK_OR_RETURN(static_cast<int64_t>(cb.size()) == N * K && expected.elements() == M * N, "%s: sizes",
                        key.c_str());

        Quantized q = quantize(a, static_cast<float>(th));
        std::vector<int32_t> product(M * N);
        CHECK_OK(bnb_cpu_int8_gemm(q.codes.data(), cb.data(), product.data(), M, N, K));
        Matrix out(BNB_F16, M, N);
        CHECK_OK(bnb_cpu_int8_mm_dequant(BNB_F16, product.data(), q.stats.data(), scb.data(), bias.data.data(),
                                         out.data(), M, N));
        const int64_t n = static_cast<int64_t>(q.outlier_cols.size());
        CHECK(th == 0 || n > 0, "%s: no outliers found", key.c_str());
        if (n > 0) {
            Matrix sub_a(BNB_F16, M, n), sub_w(BNB_F16, N, n);
            CHECK_OK(bnb_cpu_int8_gather_columns(BNB_F16, a.data(), M, K, q.outlier_cols.data(), n, sub_a.data()));
            CHECK_OK(bnb_cpu_int8_dequant_columns(BNB_F16, cb.data(), scb.data(), N, K, q.outlier_cols.data(), n,
                                                  sub_w.data()));
            for (int64_t m = 0; m < M; ++m)
                for (int64_t o = 0; o < N; ++o) {
                    float sum = out.get(m * N + o);
                    for (int64_t j = 0; j < n; ++j) sum += sub_a.get(m * n + j) * sub_w.get(o * n + j);
                    out.set(m * N + o, sum);
                }
        }
        Matrix want(BNB_F16, M, N);
        want.bytes = expected.data;
        int64_t exact = 0;
        for (int64_t i = 0; i < M * N; ++i) {
            const float got = out.get(i), ref_value = want.get(i);
            // One f16 ulp at the reference's magnitude: the order of the 16-bit sums may differ from cuBLAS.
            const float ulp = ldexpf(1.0f, std::max(-24, ilogbf(std::max(fabsf(ref_value), 6.1e-5f)) - 10));
            CHECK_OR_RETURN(fabsf(got - ref_value) <= ulp, "%s: out[%lld] = %g, upstream %g", key.c_str(), (long long)i,
                            got, ref_value);
            exact += got == ref_value;
        }
        printf("%s: %lld of %lld outputs equal upstream's bits, the rest within 1 ulp\n", key.c_str(), (long long)exact,
               (long long)(M * N));
    }
}

// ---- the spec's formulas on odd shapes -----------------------------------------------------------

void test_vectorwise_shapes() {
    const int64_t shapes[][2] = {{1, 1}, {1, 7}, {3, 33}, {3, 4096}, {5, 100}, {4097, 37}, {64, 4099}};
    uint64_t seed = 10;
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (auto& s : shapes)
            for (float th : {0.0f, 6.0f}) {
                Matrix a = test::activations(dtype, s[0], s[1], ++seed, th > 0, true);
                test::ExpectedQuant e = test::expected_quant(a, th);
                Quantized q = quantize(a, th);
                const char* name = test::dtype_label(dtype);
                for (int64_t r = 0; r < a.rows; ++r)
                    CHECK_OR_RETURN(test::same_float(q.stats[r], e.stats[r]),
                                    "%s %lldx%lld th=%g: stats[%lld] %a, want %a", name, (long long)s[0],
                                    (long long)s[1], th, (long long)r, q.stats[r], e.stats[r]);
                for (int64_t i = 0; i < a.rows * a.cols; ++i)
                    CHECK_OR_RETURN(q.codes[i] == e.codes[i], "%s %lldx%lld th=%g: code[%lld] %d, want %d", name,
                                    (long long)s[0], (long long)s[1], th, (long long)i, q.codes[i], e.codes[i]);
                CHECK(q.outlier_cols == e.outlier_cols, "%s %lldx%lld th=%g: outlier columns differ", name,
                      (long long)s[0], (long long)s[1], th);
                if (th > 0 && s[1] > 3) CHECK(!q.outlier_cols.empty(), "%s: the test data has no outliers", name);

                // Dequantization: the formula, and within half a step of the input off the outlier columns.
                Matrix back(dtype, a.rows, a.cols);
                CHECK_OK(bnb_cpu_int8_vectorwise_dequant(dtype, q.codes.data(), q.stats.data(), a.rows, a.cols,
                                                         back.data()));
                Matrix formula(dtype, a.rows, a.cols);
                for (int64_t i = 0; i < a.rows * a.cols; ++i)
                    formula.set(i, static_cast<float>(q.codes[i]) * q.stats[i / a.cols] * 7.874015718698502e-3f);
                for (int64_t i = 0; i < a.rows * a.cols; ++i) {
                    CHECK_OR_RETURN(test::same_element(back, formula, i), "%s: dequantized[%lld] %g, formula %g", name,
                                    (long long)i, back.get(i), formula.get(i));
                    const float x = a.get(i), step = q.stats[i / a.cols] / 127.0f;
                    const bool outlier_col =
                        std::binary_search(e.outlier_cols.begin(), e.outlier_cols.end(), i % a.cols);
                    if (!isfinite(x) || outlier_col || !isfinite(step)) continue;
                    CHECK_OR_RETURN(fabsf(back.get(i) - x) <= 0.5f * step * 1.01f + fabsf(x) * 1e-2f,
                                    "%s: x[%lld] = %g came back as %g (step %g)", name, (long long)i, x, back.get(i),
                                    step);
                }
            }
}

// Special rows, spelled out: NaN gives 0 and is never an outlier, an all-zero row gives stats 0 and
// codes 0, an infinity is an outlier with a threshold and zeroes its row's codes without one.
void test_special_values() {
    const float nan = NAN, inf = INFINITY;
    const float values[4][4] = {{1.0f, nan, -0.5f, 2.0f}, {0.0f, -0.0f, 0.0f, 0.0f}, {1.0f, -inf, 0.25f, 8.0f},
                                {-7.0f, 0.5f, 1.0f, -1.0f}};
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16}) {
        Matrix a(dtype, 4, 4);
        for (int i = 0; i < 16; ++i) a.set(i, values[i / 4][i % 4]);
        Quantized q0 = quantize(a, 0.0f);
        const int8_t want0[16] = {64, 0, -32, 127, 0, 0, 0, 0, 0, 0, 0, 0, -127, 9, 18, -18};
        const float stats0[4] = {2.0f, 0.0f, inf, 7.0f};
        for (int i = 0; i < 16; ++i)
            CHECK(q0.codes[i] == want0[i], "%s th=0: code[%d] %d, want %d", test::dtype_label(dtype), i, q0.codes[i],
                  want0[i]);
        for (int r = 0; r < 4; ++r)
            CHECK(q0.stats[r] == stats0[r], "%s th=0: stats[%d] %g", test::dtype_label(dtype), r, q0.stats[r]);

        // threshold 6: -inf (column 1), 8 (column 3) and -7 (column 0) are outliers; whole columns 0, 1, 3 zeroed.
        Quantized q6 = quantize(a, 6.0f);
        CHECK(q6.outlier_cols == std::vector<int64_t>({0, 1, 3}), "%s th=6: outlier columns", test::dtype_label(dtype));
        const float stats6[4] = {2.0f, 0.0f, 1.0f, 1.0f};
        const int8_t want6[16] = {0, 0, -32, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 127, 0};
        for (int i = 0; i < 16; ++i)
            CHECK(q6.codes[i] == want6[i], "%s th=6: code[%d] %d, want %d", test::dtype_label(dtype), i, q6.codes[i],
                  want6[i]);
        for (int r = 0; r < 4; ++r)
            CHECK(q6.stats[r] == stats6[r], "%s th=6: stats[%d] %g", test::dtype_label(dtype), r, q6.stats[r]);
    }
    // Empty matrices: nothing read; rows without columns have absmax 0 and there are no outliers.
    float stats[2] = {-1.0f, -1.0f};
    int64_t n = -1, cols[1] = {-1};
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(BNB_F16, nullptr, 2, 0, 6.0f, nullptr, stats, cols, &n));
    CHECK(stats[0] == 0.0f && stats[1] == 0.0f && n == 0, "2x0: stats %g %g, n_outliers %lld", stats[0], stats[1],
          (long long)n);
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(BNB_F16, nullptr, 0, 5, 6.0f, nullptr, nullptr, cols, &n));
    CHECK(n == 0, "0x5: n_outliers %lld", (long long)n);
}

// ---- GEMM, mm_dequant and the outlier gathers ----------------------------------------------------

std::vector<int8_t> random_codes(int64_t n, test::Random& rng) {
    std::vector<int8_t> v(n);
    for (int8_t& x : v) x = static_cast<int8_t>(rng.below(255) - 127);
    return v;
}

void test_gemm() {
    test::Random rng(3);
    const int64_t shapes[][3] = {{1, 1, 1},   {1, 4096, 5}, {3, 13, 33}, {4, 4, 4},
                                 {7, 37, 130}, {4097, 9, 6}, {5, 3, 0}};
    for (auto& s : shapes) {
        const int64_t M = s[0], N = s[1], K = s[2];
        std::vector<int8_t> a = random_codes(M * K, rng), b = random_codes(N * K, rng);
        std::vector<int32_t> c(M * N, 12345);
        CHECK_OK(bnb_cpu_int8_gemm(a.data(), b.data(), c.data(), M, N, K));
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
                int64_t sum = 0;
                for (int64_t k = 0; k < K; ++k) sum += int64_t{a[m * K + k]} * b[n * K + k];
                CHECK_OR_RETURN(c[m * N + n] == sum, "%lldx%lldx%lld: C[%lld, %lld] = %d, want %lld", (long long)M,
                                (long long)N, (long long)K, (long long)m, (long long)n, c[m * N + n], (long long)sum);
            }
    }
    // Past 2^31 the sum wraps as int32 arithmetic does on the GPU.
    const int64_t K = 140000;
    std::vector<int8_t> a(K, -128), b(K, -128);
    int32_t c = 0;
    CHECK_OK(bnb_cpu_int8_gemm(a.data(), b.data(), &c, 1, 1, K));
    CHECK(c == static_cast<int32_t>(static_cast<uint32_t>(uint64_t{16384} * K)), "wrapped sum %d", c);
}

void test_mm_dequant() {
    test::Random rng(4);
    const int64_t shapes[][2] = {{1, 1}, {1, 4096}, {3, 33}, {4097, 7}, {16, 64}};
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (auto& s : shapes)
            for (bool with_bias : {false, true}) {
                const int64_t M = s[0], N = s[1];
                std::vector<int32_t> c(M * N);
                for (int32_t& x : c) x = static_cast<int32_t>(rng.below(2000001)) - 1000000;
                c[0] = INT32_MIN;  // not exact in f32: converted to nearest first
                std::vector<float> row(M), col(N);
                for (float& x : row) x = rng.uniform(0.0f, 8.0f);
                for (float& x : col) x = rng.uniform(0.0f, 0.5f);
                row[0] = 0.0f;
                Matrix bias(dtype, 1, N);
                for (int64_t n = 0; n < N; ++n) bias.set(n, rng.normal());
                Matrix out(dtype, M, N), want(dtype, M, N);
                CHECK_OK(bnb_cpu_int8_mm_dequant(dtype, c.data(), row.data(), col.data(),
                                                 with_bias ? bias.data() : nullptr, out.data(), M, N));
                for (int64_t i = 0; i < M * N; ++i) {
                    const float b = with_bias ? bias.get(i % N) : 0.0f;
                    want.set(i, fmaf(static_cast<float>(c[i]) * row[i / N] * col[i % N], 6.200012e-05f, b));
                }
                for (int64_t i = 0; i < M * N; ++i)
                    CHECK_OR_RETURN(test::same_element(out, want, i), "%s %lldx%lld bias=%d: out[%lld] %g, want %g",
                                    test::dtype_label(dtype), (long long)M, (long long)N, with_bias, (long long)i,
                                    out.get(i), want.get(i));
            }
}

void test_outlier_columns() {
    test::Random rng(5);
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16}) {
        const int64_t rows = 5, cols = 11;
        Matrix a = test::activations(dtype, rows, cols, 7, false, false);
        std::vector<int8_t> codes = random_codes(rows * cols, rng);
        std::vector<float> stats(rows);
        for (float& s : stats) s = rng.uniform(0.1f, 3.0f);
        const std::vector<int64_t> columns = {0, 4, 10};
        Matrix sub_a(dtype, rows, 3), sub_w(dtype, rows, 3);
        CHECK_OK(bnb_cpu_int8_gather_columns(dtype, a.data(), rows, cols, columns.data(), 3, sub_a.data()));
        CHECK_OK(bnb_cpu_int8_dequant_columns(dtype, codes.data(), stats.data(), rows, cols, columns.data(), 3,
                                              sub_w.data()));
        Matrix full(dtype, rows, cols);
        CHECK_OK(bnb_cpu_int8_vectorwise_dequant(dtype, codes.data(), stats.data(), rows, cols, full.data()));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < 3; ++j) {
                const int64_t from = r * cols + columns[j];
                const size_t bytes = test::dtype_bytes(dtype);
                CHECK(memcmp(&sub_a.bytes[(r * 3 + j) * bytes], &a.bytes[from * bytes], bytes) == 0,
                      "%s: gathered (%lld, %lld)", test::dtype_label(dtype), (long long)r, (long long)j);
                CHECK(memcmp(&sub_w.bytes[(r * 3 + j) * bytes], &full.bytes[from * bytes], bytes) == 0,
                      "%s: dequantized column (%lld, %lld)", test::dtype_label(dtype), (long long)r, (long long)j);
            }
    }
}

// ---- bad arguments -------------------------------------------------------------------------------

void test_bad_arguments() {
    std::vector<uint16_t> a(12, 0x3c00);
    std::vector<int8_t> codes(12);
    std::vector<float> stats(3, 1.0f);
    std::vector<int64_t> cols(4);
    int64_t n = 0;
    std::vector<int32_t> c(12);
    std::vector<uint16_t> out(12);
    const int64_t good[1] = {1}, bad[2] = {1, 4};

    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_I8, a.data(), 3, 4, 0.0f, codes.data(), stats.data(), nullptr,
                                                     nullptr),
                       BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), -1, 4, 0.0f, codes.data(), stats.data(),
                                                     nullptr, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "rows");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, -4, 0.0f, codes.data(), stats.data(),
                                                     nullptr, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "cols");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), INT64_MAX / 2, 4, 0.0f, codes.data(),
                                                     stats.data(), nullptr, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "overflows");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, NAN, codes.data(), stats.data(),
                                                     cols.data(), &n),
                       BNB_ERR_INVALID_ARGUMENT, "threshold");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, -1.0f, codes.data(), stats.data(),
                                                     cols.data(), &n),
                       BNB_ERR_INVALID_ARGUMENT, "threshold");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, 6.0f, codes.data(), stats.data(),
                                                     nullptr, &n),
                       BNB_ERR_INVALID_ARGUMENT, "outlier_cols");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, 6.0f, codes.data(), stats.data(),
                                                     cols.data(), nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "n_outliers");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, nullptr, 3, 4, 0.0f, codes.data(), stats.data(),
                                                     nullptr, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "A");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, 0.0f, codes.data(), nullptr, nullptr,
                                                     nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "row_stats");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_dequant(BNB_I32, codes.data(), stats.data(), 3, 4, out.data()),
                       BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(bnb_cpu_int8_vectorwise_dequant(BNB_F16, codes.data(), nullptr, 3, 4, out.data()),
                       BNB_ERR_INVALID_ARGUMENT, "row_stats");
    CHECK_FAILS_NAMING(bnb_cpu_int8_gemm(codes.data(), codes.data(), c.data(), 3, -1, 4), BNB_ERR_INVALID_ARGUMENT,
                       "N");
    CHECK_FAILS_NAMING(bnb_cpu_int8_gemm(codes.data(), nullptr, c.data(), 3, 3, 4), BNB_ERR_INVALID_ARGUMENT, "B");
    CHECK_FAILS_NAMING(bnb_cpu_int8_mm_dequant(BNB_U8, c.data(), stats.data(), stats.data(), nullptr, out.data(), 3, 3),
                       BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(bnb_cpu_int8_mm_dequant(BNB_F16, c.data(), stats.data(), nullptr, nullptr, out.data(), 3, 3),
                       BNB_ERR_INVALID_ARGUMENT, "col_stats");
    CHECK_FAILS_NAMING(bnb_cpu_int8_gather_columns(BNB_F16, a.data(), 3, 4, bad, 2, out.data()),
                       BNB_ERR_INVALID_ARGUMENT, "columns[1] = 4");
    CHECK_FAILS_NAMING(bnb_cpu_int8_dequant_columns(BNB_F16, codes.data(), stats.data(), 3, 4, bad, 2, out.data()),
                       BNB_ERR_INVALID_ARGUMENT, "columns[1] = 4");
    CHECK_FAILS_NAMING(bnb_cpu_int8_gather_columns(BNB_F16, a.data(), 3, 4, good, -1, out.data()),
                       BNB_ERR_INVALID_ARGUMENT, "n_columns");
    CHECK_FAILS_NAMING(bnb_cpu_int8_dequant_columns(BNB_BF16, codes.data(), nullptr, 3, 4, good, 1, out.data()),
                       BNB_ERR_INVALID_ARGUMENT, "row_stats");
    // A failed call writes nothing.
    std::vector<int8_t> untouched(12, 0x11);
    CHECK_FAILS(bnb_cpu_int8_vectorwise_quant(BNB_F16, a.data(), 3, 4, -2.0f, untouched.data(), stats.data(),
                                              cols.data(), &n),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(std::all_of(untouched.begin(), untouched.end(), [](int8_t v) { return v == 0x11; }),
          "a failed call wrote codes");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO/bnb-reference-public.safetensors\n", argv[0]);
        return 2;
    }
    test::RefFile ref(argv[1]);
    if (!ref.ok()) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    test_reference_vectorwise(ref);
    test_reference_weight(ref);
    test_reference_linear(ref);
    test_vectorwise_shapes();
    test_special_values();
    test_gemm();
    test_mm_dequant();
    test_outlier_columns();
    test_bad_arguments();
    return test::finish_program("bnb_int8_cpu_tests");
}
