// Checks bnb_cuda_int8_fused_matmul (bnb/int8.h) against the unfused sequence computed by libbnb_cpu:
// quantize, int8 GEMM, mm_dequant, and the outlier columns' 16-bit product summed in ascending column order.
// Every output must be bit-identical, as must the quantized input it leaves in its scratch, and the outlier
// state must be left cleared for the next call. Rows 1, 3, 31, 32; K and N not multiples of 4; every dtype;
// thresholds 0 and 6 with no, a few and many outlier columns; with and without bias; unaligned pointers.
// Usage: bnb_int8_fused_cuda_tests PATH_TO_libbnb_cudaXY.so (without a GPU it reports that it skipped).
#include <cmath>

#include "int8_cases.h"

namespace {

using test::Matrix;

struct DeviceBuffer {
    void* ptr = nullptr;
    explicit DeviceBuffer(int64_t bytes) { CHECK_OK(bnb_cuda_malloc(0, std::max<int64_t>(bytes, 16), &ptr)); }
    ~DeviceBuffer() { CHECK_OK(bnb_cuda_free(0, ptr)); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    template <typename T>
    T* at(int64_t byte_offset = 0) const { return reinterpret_cast<T*>(static_cast<char*>(ptr) + byte_offset); }
};

void upload(void* dst, const void* src, int64_t bytes) {
    if (bytes > 0) CHECK_OK(bnb_cuda_memcpy(dst, src, bytes, BNB_COPY_HOST_TO_DEVICE, nullptr));
}

void download(void* dst, const void* src, int64_t bytes) {
    if (bytes > 0) CHECK_OK(bnb_cuda_memcpy(dst, src, bytes, BNB_COPY_DEVICE_TO_HOST, nullptr));
    CHECK_OK(bnb_cuda_stream_synchronize(nullptr));
}

enum class Outliers { kNone, kFew, kMany };

// The input of one case: activations with no value at the threshold 6, or with a few outlier columns (and
// NaN, an infinity, an all-zero row), or with every other column an outlier.
Matrix input(int32_t dtype, int64_t M, int64_t K, Outliers kind, uint64_t seed) {
    Matrix a = test::activations(dtype, M, K, seed, kind == Outliers::kFew, kind != Outliers::kNone);
    if (kind == Outliers::kNone)  // no value reaches the threshold 6
        for (int64_t i = 0; i < M * K; ++i) a.set(i, std::fmod(a.get(i), 5.0f));
    if (kind == Outliers::kMany)
        for (int64_t c = 0; c < K; c += 2) a.set((c % M) * K + c, c % 4 == 0 ? 7.5f : -9.0f);
    return a;
}

// The unfused result on the CPU, with its quantized input.
struct Expected {
    Matrix out;
    std::vector<int8_t> codes;
    std::vector<float> stats;
    std::vector<int64_t> columns;
};

Expected unfused(const Matrix& a, const std::vector<int8_t>& cb, const std::vector<float>& scb, const Matrix* bias,
                 int64_t N, float threshold) {
    const int32_t dtype = a.dtype;
    const int64_t M = a.rows, K = a.cols;
    Expected e{Matrix(dtype, M, N), std::vector<int8_t>(M * K), std::vector<float>(M), std::vector<int64_t>(K)};
    int64_t found = 0;
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(dtype, a.data(), M, K, threshold, e.codes.data(), e.stats.data(),
                                           e.columns.data(), &found));
    e.columns.resize(threshold > 0 ? found : 0);
    std::vector<int32_t> c(M * N);
    CHECK_OK(bnb_cpu_int8_gemm(e.codes.data(), cb.data(), c.data(), M, N, K));
    CHECK_OK(bnb_cpu_int8_mm_dequant(dtype, c.data(), e.stats.data(), scb.data(), bias ? bias->data() : nullptr,
                                     e.out.data(), M, N));
    const int64_t n_cols = static_cast<int64_t>(e.columns.size());
    if (n_cols == 0) return e;
    Matrix sub_a(dtype, M, n_cols), sub_w(dtype, N, n_cols);
    CHECK_OK(bnb_cpu_int8_gather_columns(dtype, a.data(), M, K, e.columns.data(), n_cols, sub_a.data()));
    CHECK_OK(bnb_cpu_int8_dequant_columns(dtype, cb.data(), scb.data(), N, K, e.columns.data(), n_cols,
                                          sub_w.data()));
    for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
            float s = 0.0f;
            for (int64_t j = 0; j < n_cols; ++j) s = std::fmaf(sub_a.get(m * n_cols + j), sub_w.get(n * n_cols + j), s);
            e.out.set(m * N + n, e.out.get(m * N + n) + s);
        }
    return e;
}

// One case, called twice on one outlier state (the second call must find it cleared by the first).
void compare(int32_t dtype, int64_t M, int64_t K, int64_t N, float threshold, Outliers kind, bool with_bias,
             int offset, uint64_t seed) {
    const size_t size = test::dtype_bytes(dtype);
    const char* name = test::dtype_label(dtype);
    const Matrix a = input(dtype, M, K, kind, seed);
    const Matrix w = test::activations(dtype, N, K, seed + 1, false, false);
    Matrix bias(dtype, 1, N);
    test::Random rng(seed + 2);
    for (int64_t n = 0; n < N; ++n) bias.set(n, rng.normal());
    std::vector<int8_t> cb(N * K);
    std::vector<float> scb(N);
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(dtype, w.data(), N, K, 0.0f, cb.data(), scb.data(), nullptr, nullptr));
    const Expected e = unfused(a, cb, scb, with_bias ? &bias : nullptr, N, threshold);

    // offset shifts A and the output by elements, the codes and the weight by bytes: the unaligned paths
    const int64_t off = offset * static_cast<int64_t>(size);
    DeviceBuffer d_a(M * K * size + off), d_cb(N * K + offset), d_scb(N * 4), d_bias(N * size),
        d_codes(M * K + offset), d_stats(M * 4), d_state((2 + 2 * K) * 4), d_out(M * N * size + off);
    upload(d_a.at<char>(off), a.data(), M * K * size);
    upload(d_cb.at<char>(offset), cb.data(), N * K);
    upload(d_scb.ptr, scb.data(), N * 4);
    upload(d_bias.ptr, bias.data(), N * size);
    CHECK_OK(bnb_cuda_memset(d_state.ptr, 0, (2 + 2 * K) * 4, nullptr));
    for (int call = 0; call < 2; ++call) {
        CHECK_OK(bnb_cuda_memset(d_codes.ptr, 0x55, M * K + offset, nullptr));
        CHECK_OK(bnb_cuda_int8_fused_matmul(dtype, d_a.at<char>(off), d_cb.at<int8_t>(offset), d_scb.at<float>(),
                                            with_bias ? d_bias.ptr : nullptr, M, N, K, threshold,
                                            d_codes.at<int8_t>(offset), d_stats.at<float>(),
                                            threshold > 0 ? d_state.at<int32_t>() : nullptr, d_out.at<char>(off),
                                            nullptr));
        Matrix got(dtype, M, N);
        std::vector<int8_t> codes(M * K);
        std::vector<float> stats(M);
        download(got.data(), d_out.at<char>(off), M * N * size);
        download(codes.data(), d_codes.at<char>(offset), M * K);
        download(stats.data(), d_stats.ptr, M * 4);
        char where[160];
        snprintf(where, sizeof where, "%s M%lld K%lld N%lld th%g outliers%d bias%d offset%d call%d", name,
                 (long long)M, (long long)K, (long long)N, threshold, static_cast<int>(kind), with_bias, offset, call);
        for (int64_t i = 0; i < M * N; ++i)
            CHECK_OR_RETURN(test::same_element(got, e.out, i), "%s: out[%lld] = %a, unfused %a", where, (long long)i,
                            got.get(i), e.out.get(i));
        for (int64_t i = 0; i < M * K; ++i)
            CHECK_OR_RETURN(codes[i] == e.codes[i], "%s: code[%lld] = %d, cpu %d", where, (long long)i, codes[i],
                            e.codes[i]);
        for (int64_t r = 0; r < M; ++r)
            CHECK_OR_RETURN(test::same_float(stats[r], e.stats[r]), "%s: stats[%lld]", where, (long long)r);
        if (threshold > 0) {
            std::vector<int32_t> state(2 + 2 * K);
            download(state.data(), d_state.ptr, (2 + 2 * K) * 4);
            CHECK_OR_RETURN(state[0] == 0, "%s: the block counter was left at %d", where, state[0]);
            CHECK_OR_RETURN(state[1] == static_cast<int32_t>(e.columns.size()), "%s: %d outlier columns, cpu %zu",
                            where, state[1], e.columns.size());
            for (int64_t c = 0; c < K; ++c)
                CHECK_OR_RETURN(state[2 + c] == 0, "%s: flag of column %lld left set", where, (long long)c);
            for (size_t j = 0; j < e.columns.size(); ++j)
                CHECK_OR_RETURN(state[2 + K + j] == e.columns[j], "%s: outlier column %zu = %d, cpu %lld", where, j,
                                state[2 + K + j], (long long)e.columns[j]);
        }
    }
}

void test_cases() {
    const int64_t rows[] = {1, 3, 31, 32};
    const int64_t kn[][2] = {{5, 3}, {37, 33}, {64, 100}, {4096, 40}, {4099, 67}, {300, 8}};
    uint64_t seed = 1;
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (int64_t M : rows)
            for (auto& s : kn)
                for (float th : {0.0f, 6.0f})
                    for (Outliers kind : {Outliers::kNone, Outliers::kFew, Outliers::kMany}) {
                        if (th == 0.0f && kind == Outliers::kMany) continue;
                        ++seed;
                        compare(dtype, M, s[0], s[1], th, kind, seed % 2 == 0, static_cast<int>(seed / 2 % 2), seed);
                    }
}

// Decode shapes of the benchmarks, aligned, with the outliers of one row.
void test_decode_shapes() {
    for (int64_t M : {1, 32})
        for (int64_t N : {4096, 14336}) compare(BNB_F16, M, 4096, N, 6.0f, Outliers::kFew, true, 0, 100 + M + N);
}

void test_bad_arguments() {
    DeviceBuffer d(4096);
    void* p = d.ptr;
    auto call = [&](int32_t dtype, int64_t M, float threshold, int32_t* state) {
        return bnb_cuda_int8_fused_matmul(dtype, p, d.at<int8_t>(), d.at<float>(), nullptr, M, 4, 8, threshold,
                                          d.at<int8_t>(), d.at<float>(), state, p, nullptr);
    };
    CHECK_FAILS_NAMING(call(BNB_I8, 2, 0.0f, nullptr), BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(call(BNB_F16, 33, 0.0f, nullptr), BNB_ERR_INVALID_ARGUMENT, "M");
    CHECK_FAILS_NAMING(call(BNB_F16, -1, 0.0f, nullptr), BNB_ERR_INVALID_ARGUMENT, "M");
    CHECK_FAILS_NAMING(call(BNB_F16, 2, NAN, d.at<int32_t>()), BNB_ERR_INVALID_ARGUMENT, "threshold");
    CHECK_FAILS_NAMING(call(BNB_F16, 2, 6.0f, nullptr), BNB_ERR_INVALID_ARGUMENT, "outlier_state");
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_int8_fused_cuda_tests", argc, argv); status >= 0) return status;
    test_cases();
    test_decode_shapes();
    test_bad_arguments();
    return test::finish_program("bnb_int8_fused_cuda_tests");
}
