// Checks the CUDA plugin's int8 entry points (bnb/int8.h) against libbnb_cpu: every output must be
// bit-identical, on odd shapes, every dtype, thresholds 0 and 6, special values and unaligned
// pointers; and bad arguments must fail as on the CPU. Usage:
//   bnb_int8_cuda_tests PATH_TO_libbnb_cudaXY.so
// Without a GPU it reports that it skipped and succeeds.
#include "int8_cases.h"

namespace {

using test::Matrix;

// A device buffer of the C API, freed on scope exit.
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

// Quantizes a, dequantizes and gathers the outlier columns on both sides and compares every byte. offset
// shifts every device array by that many bytes (an odd offset takes the element kernels).
void compare_vectorwise(const Matrix& a, float threshold, int offset) {
    const int32_t dtype = a.dtype;
    const int64_t rows = a.rows, cols = a.cols;
    const size_t size = test::dtype_bytes(dtype);
    const int64_t n = rows * cols;
    const char* name = test::dtype_label(dtype);

    std::vector<int8_t> cpu_codes(n), gpu_codes(n);
    std::vector<float> cpu_stats(rows), gpu_stats(rows);
    std::vector<int64_t> cpu_cols(cols + 1, -1), gpu_cols(cols + 1, -1);
    int64_t cpu_n = 0, gpu_n = -1;
    CHECK_OK(bnb_cpu_int8_vectorwise_quant(dtype, a.data(), rows, cols, threshold, cpu_codes.data(), cpu_stats.data(),
                                           cpu_cols.data(), &cpu_n));
    // Offsets in elements of the dtype keep 2-byte elements aligned to 2 bytes; int8 codes move by offset bytes.
    const int64_t off = offset * static_cast<int64_t>(size);
    DeviceBuffer d_a(n * size + off), d_codes(n + offset), d_stats(rows * 4 + 16), d_cols((cols + 1) * 8),
        d_n(8), d_back(n * size + off);
    upload(d_a.at<char>(off), a.data(), n * size);
    CHECK_OK(bnb_cuda_memset(d_codes.ptr, 0x55, n + offset, nullptr));
    // The CUDA kernels flag outlier columns in this buffer: stale nonzero bytes must not count.
    CHECK_OK(bnb_cuda_memset(d_cols.ptr, 0x7f, (cols + 1) * 8, nullptr));
    CHECK_OK(bnb_cuda_int8_vectorwise_quant(dtype, d_a.at<char>(off), rows, cols, threshold, d_codes.at<int8_t>(offset),
                                            d_stats.at<float>(), d_cols.at<int64_t>(), d_n.at<int64_t>(), nullptr));
    download(gpu_codes.data(), d_codes.at<char>(offset), n);
    download(gpu_stats.data(), d_stats.ptr, rows * 4);
    if (threshold > 0) {
        download(&gpu_n, d_n.ptr, 8);
        CHECK_OR_RETURN(gpu_n == cpu_n, "%s %lldx%lld th=%g: %lld outlier columns, cpu %lld", name, (long long)rows,
                        (long long)cols, threshold, (long long)gpu_n, (long long)cpu_n);
        download(gpu_cols.data(), d_cols.ptr, cpu_n * 8);
        for (int64_t j = 0; j < cpu_n; ++j)
            CHECK_OR_RETURN(gpu_cols[j] == cpu_cols[j], "%s: outlier column %lld: gpu %lld cpu %lld", name,
                            (long long)j, (long long)gpu_cols[j], (long long)cpu_cols[j]);
    }
    for (int64_t r = 0; r < rows; ++r)
        CHECK_OR_RETURN(test::bits_of(gpu_stats[r]) == test::bits_of(cpu_stats[r]),
                        "%s %lldx%lld th=%g offset=%d: stats[%lld] gpu %a cpu %a", name, (long long)rows,
                        (long long)cols, threshold, offset, (long long)r, gpu_stats[r], cpu_stats[r]);
    for (int64_t i = 0; i < n; ++i)
        CHECK_OR_RETURN(gpu_codes[i] == cpu_codes[i], "%s %lldx%lld th=%g offset=%d: code[%lld] gpu %d cpu %d", name,
                        (long long)rows, (long long)cols, threshold, offset, (long long)i, gpu_codes[i], cpu_codes[i]);

    // Dequantization of the codes.
    Matrix cpu_back(dtype, rows, cols), gpu_back(dtype, rows, cols);
    CHECK_OK(bnb_cpu_int8_vectorwise_dequant(dtype, cpu_codes.data(), cpu_stats.data(), rows, cols, cpu_back.data()));
    CHECK_OK(bnb_cuda_int8_vectorwise_dequant(dtype, d_codes.at<int8_t>(offset), d_stats.at<float>(), rows, cols,
                                              d_back.at<char>(off), nullptr));
    download(gpu_back.data(), d_back.at<char>(off), n * size);
    for (int64_t i = 0; i < n; ++i)
        CHECK_OR_RETURN(test::same_element(gpu_back, cpu_back, i),
                        "%s %lldx%lld offset=%d: dequantized[%lld] gpu %g cpu %g", name, (long long)rows,
                        (long long)cols, offset, (long long)i, gpu_back.get(i), cpu_back.get(i));

    // The outlier columns of the input and of the codes taken as a weight.
    if (threshold > 0 && cpu_n > 0) {
        Matrix cpu_sub(dtype, rows, cpu_n), gpu_sub(dtype, rows, cpu_n);
        DeviceBuffer d_sub(rows * cpu_n * size);
        CHECK_OK(bnb_cpu_int8_gather_columns(dtype, a.data(), rows, cols, cpu_cols.data(), cpu_n, cpu_sub.data()));
        CHECK_OK(bnb_cuda_int8_gather_columns(dtype, d_a.at<char>(off), rows, cols, d_cols.at<int64_t>(), cpu_n,
                                              d_sub.ptr, nullptr));
        download(gpu_sub.data(), d_sub.ptr, rows * cpu_n * size);
        CHECK(gpu_sub.bytes == cpu_sub.bytes, "%s: gathered columns differ", name);
        CHECK_OK(bnb_cpu_int8_dequant_columns(dtype, cpu_codes.data(), cpu_stats.data(), rows, cols, cpu_cols.data(),
                                              cpu_n, cpu_sub.data()));
        CHECK_OK(bnb_cuda_int8_dequant_columns(dtype, d_codes.at<int8_t>(offset), d_stats.at<float>(), rows, cols,
                                               d_cols.at<int64_t>(), cpu_n, d_sub.ptr, nullptr));
        download(gpu_sub.data(), d_sub.ptr, rows * cpu_n * size);
        for (int64_t i = 0; i < rows * cpu_n; ++i)
            CHECK_OR_RETURN(test::same_element(gpu_sub, cpu_sub, i), "%s: dequantized column element %lld differs",
                            name, (long long)i);
    }
}

// Shapes on both sides of the CUDA paths with a threshold: the outlier columns zeroed by the compaction
// block (rows * cols <= 2^19) or by a kernel of their own, and one or several rounds of 8192 columns in
// the compaction.
void test_vectorwise() {
    const int64_t shapes[][2] = {{1, 1},    {1, 7},    {1, 4096},  {3, 33},     {3, 4096},   {4, 14336},
                                 {5, 100},  {4097, 37}, {33, 4099}, {2, 40000}, {257, 2048}, {4097, 4096},
                                 {1, 8192}, {1, 8193},  {64, 8193}, {40, 20000}};
    uint64_t seed = 100;
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (auto& s : shapes)
            for (float th : {0.0f, 6.0f})
                for (int offset : {0, 1})
                    compare_vectorwise(test::activations(dtype, s[0], s[1], ++seed, th > 0, true), th, offset);
}

// Outlier columns in patterns that stress the in-place compaction: none, every column, every other
// column, only the last of a round, only the first and the last.
void test_outlier_patterns() {
    const int64_t shapes[][2] = {{1, 8193}, {3, 20000}, {65, 8193}};
    for (auto& s : shapes) {
        const int64_t rows = s[0], cols = s[1];
        for (int pattern = 0; pattern < 5; ++pattern) {
            auto outlier = [&](int64_t c) {
                switch (pattern) {
                    case 0: return false;
                    case 1: return true;
                    case 2: return c % 2 == 1;
                    case 3: return c == 8191;
                    default: return c == 0 || c == cols - 1;
                }
            };
            Matrix a(BNB_F16, rows, cols);
            test::Random rng(static_cast<uint64_t>(pattern * 1000 + rows));
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t c = 0; c < cols; ++c)
                    a.set(r * cols + c, outlier(c) && r == rows - 1 ? 7.0f : rng.normal());
            for (int offset : {0, 1}) compare_vectorwise(a, 6.0f, offset);
        }
    }
}

void compare_mm_dequant(int32_t dtype, int64_t M, int64_t N, bool with_bias, int offset, test::Random& rng) {
    const size_t size = test::dtype_bytes(dtype);
    std::vector<int32_t> c(M * N);
    for (int32_t& x : c) x = static_cast<int32_t>(rng.below(4000001)) - 2000000;
    c[0] = INT32_MIN;
    std::vector<float> row(M), col(N);
    for (float& x : row) x = rng.uniform(0.0f, 8.0f);
    for (float& x : col) x = rng.uniform(0.0f, 0.5f);
    col[N - 1] = INFINITY;  // with a zero row stat: NaN on both sides
    row[0] = 0.0f;
    Matrix bias(dtype, 1, N), cpu_out(dtype, M, N), gpu_out(dtype, M, N);
    for (int64_t n = 0; n < N; ++n) bias.set(n, rng.normal());
    CHECK_OK(bnb_cpu_int8_mm_dequant(dtype, c.data(), row.data(), col.data(), with_bias ? bias.data() : nullptr,
                                     cpu_out.data(), M, N));
    const int64_t off4 = offset * 4, off = offset * static_cast<int64_t>(size);
    DeviceBuffer d_c(M * N * 4 + off4), d_row(M * 4), d_col(N * 4), d_bias(N * size), d_out(M * N * size + off);
    upload(d_c.at<char>(off4), c.data(), M * N * 4);
    upload(d_row.ptr, row.data(), M * 4);
    upload(d_col.ptr, col.data(), N * 4);
    upload(d_bias.ptr, bias.data(), N * size);
    CHECK_OK(bnb_cuda_int8_mm_dequant(dtype, d_c.at<int32_t>(off4), d_row.at<float>(), d_col.at<float>(),
                                      with_bias ? d_bias.ptr : nullptr, d_out.at<char>(off), M, N, nullptr));
    download(gpu_out.data(), d_out.at<char>(off), M * N * size);
    for (int64_t i = 0; i < M * N; ++i)
        CHECK_OR_RETURN(test::same_element(gpu_out, cpu_out, i),
                        "%s %lldx%lld bias=%d offset=%d: out[%lld] gpu %g cpu %g", test::dtype_label(dtype),
                        (long long)M, (long long)N, with_bias, offset, (long long)i, gpu_out.get(i), cpu_out.get(i));
}

void test_mm_dequant() {
    test::Random rng(7);
    const int64_t shapes[][2] = {{1, 1}, {1, 4096}, {3, 33}, {4097, 7}, {32, 14336}, {5, 2049}, {300, 4096}};
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (auto& s : shapes)
            for (bool with_bias : {false, true})
                for (int offset : {0, 1}) compare_mm_dequant(dtype, s[0], s[1], with_bias, offset, rng);
}

// Column indices out of range cannot be checked on the host: they give 0, never an out-of-bounds read.
void test_bad_columns() {
    const int64_t rows = 2, cols = 3;
    std::vector<uint16_t> a(rows * cols, 0x3c00);  // 1.0 in f16
    std::vector<int64_t> columns = {1, 3, -1};
    DeviceBuffer d_a(rows * cols * 2), d_cols(3 * 8), d_out(rows * 3 * 2);
    upload(d_a.ptr, a.data(), rows * cols * 2);
    upload(d_cols.ptr, columns.data(), 3 * 8);
    CHECK_OK(bnb_cuda_int8_gather_columns(BNB_F16, d_a.ptr, rows, cols, d_cols.at<int64_t>(), 3, d_out.ptr, nullptr));
    std::vector<uint16_t> out(rows * 3);
    download(out.data(), d_out.ptr, rows * 3 * 2);
    for (int64_t r = 0; r < rows; ++r)
        CHECK(out[r * 3] == 0x3c00 && out[r * 3 + 1] == 0 && out[r * 3 + 2] == 0, "row %lld: %04x %04x %04x",
              (long long)r, out[r * 3], out[r * 3 + 1], out[r * 3 + 2]);
}

void test_bad_arguments() {
    DeviceBuffer d(4096);
    void* p = d.ptr;
    CHECK_FAILS_NAMING(bnb_cuda_int8_vectorwise_quant(BNB_I64, p, 3, 4, 0.0f, d.at<int8_t>(), d.at<float>(), nullptr,
                                                      nullptr, nullptr),
                       BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(bnb_cuda_int8_vectorwise_quant(BNB_F16, p, 3, 4, NAN, d.at<int8_t>(), d.at<float>(),
                                                      d.at<int64_t>(), d.at<int64_t>(), nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "threshold");
    CHECK_FAILS_NAMING(bnb_cuda_int8_vectorwise_quant(BNB_F16, p, 3, 4, 6.0f, d.at<int8_t>(), d.at<float>(), nullptr,
                                                      d.at<int64_t>(), nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "outlier_cols");
    CHECK_FAILS_NAMING(bnb_cuda_int8_vectorwise_quant(BNB_F16, p, -3, 4, 0.0f, d.at<int8_t>(), d.at<float>(), nullptr,
                                                      nullptr, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "rows");
    CHECK_FAILS_NAMING(bnb_cuda_int8_vectorwise_dequant(BNB_F16, d.at<int8_t>(), nullptr, 3, 4, p, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "row_stats");
    CHECK_FAILS_NAMING(bnb_cuda_int8_mm_dequant(BNB_I8, d.at<int32_t>(), d.at<float>(), d.at<float>(), nullptr, p, 3, 3,
                                                nullptr),
                       BNB_ERR_UNSUPPORTED, "dtype");
    CHECK_FAILS_NAMING(bnb_cuda_int8_mm_dequant(BNB_F16, d.at<int32_t>(), d.at<float>(), d.at<float>(), nullptr, p, 3,
                                                INT64_MAX, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "overflows");
    CHECK_FAILS_NAMING(bnb_cuda_int8_gather_columns(BNB_F16, p, 3, 4, nullptr, 2, p, nullptr), BNB_ERR_INVALID_ARGUMENT,
                       "columns");
    CHECK_FAILS_NAMING(bnb_cuda_int8_dequant_columns(BNB_F32, d.at<int8_t>(), d.at<float>(), 3, 4, d.at<int64_t>(), -2,
                                                     p, nullptr),
                       BNB_ERR_INVALID_ARGUMENT, "n_columns");
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_int8_cuda_tests", argc, argv); status >= 0) return status;
    test_vectorwise();
    test_outlier_patterns();
    test_mm_dequant();
    test_bad_columns();
    test_bad_arguments();
    return test::finish_program("bnb_int8_cuda_tests");
}
