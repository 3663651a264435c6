// Checks the CUDA plugin's 4-bit entry points against libbnb_cpu: quantize and dequantize (plain and
// nested) bit-identical, gemv within f32 summation-order rounding. Usage:
//   bnb_fourbit_cuda_tests PATH_TO_libbnb_cudaXY.so
// Without a GPU it reports that it skipped and succeeds.
#include "fourbit_reference.h"
#include "test_util.h"

namespace {

using test::dtype_label;
using test::quant_label;

struct DeviceBuffer {
    void* ptr = nullptr;
    explicit DeviceBuffer(int64_t bytes) { CHECK_OK(bnb_cuda_malloc(0, bytes > 0 ? bytes : 1, &ptr)); }
    ~DeviceBuffer() { CHECK_OK(bnb_cuda_free(0, ptr)); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    template <typename T>
    T* at(int64_t byte_offset = 0) const { return reinterpret_cast<T*>(static_cast<char*>(ptr) + byte_offset); }
};

template <typename T>
void upload(const DeviceBuffer& d, const std::vector<T>& v, int64_t byte_offset = 0) {
    CHECK_OK(bnb_cuda_memcpy(d.at<char>(byte_offset), v.data(), v.size() * sizeof(T), BNB_COPY_HOST_TO_DEVICE,
                             nullptr));
}

template <typename T>
std::vector<T> download(const DeviceBuffer& d, size_t count, int64_t byte_offset = 0) {
    std::vector<T> v(count);
    CHECK_OK(bnb_cuda_memcpy(v.data(), d.at<char>(byte_offset), count * sizeof(T), BNB_COPY_DEVICE_TO_HOST, nullptr));
    CHECK_OK(bnb_cuda_stream_synchronize(nullptr));
    return v;
}

bool same_elements(int32_t dtype, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int64_t n,
                   int64_t* at) {
    for (int64_t i = 0; i < n; ++i) {
        bool same;
        if (dtype == BNB_F32) {
            float x, y;
            memcpy(&x, &a[i * 4], 4);
            memcpy(&y, &b[i * 4], 4);
            same = test::same_float(x, y);
        } else {
            uint16_t x, y;
            memcpy(&x, &a[i * 2], 2);
            memcpy(&y, &b[i * 2], 2);
            same = test::same_half_bits(x, y, dtype == BNB_BF16);
        }
        if (!same) {
            *at = i;
            return false;
        }
    }
    return true;
}

// Quantize, dequantize and nested dequantize on both backends; offset (in elements) shifts the device
// buffers off their alignment.
void compare_quantization(int32_t dtype, int32_t qt, int64_t n, int64_t bs, int offset) {
    const size_t size = test::dtype_size(dtype);
    const int64_t blocks = (n + bs - 1) / bs, bytes = (n + 1) / 2;
    const std::vector<uint8_t> a = test::random_values(dtype, n, 31 * n + bs, true);
    std::vector<float> cpu_absmax(blocks);
    std::vector<uint8_t> cpu_packed(bytes), cpu_out(n * size), cpu_nested(n * size);
    CHECK_OK(bnb_cpu_quantize_4bit(dtype, qt, a.data(), cpu_absmax.data(), cpu_packed.data(), bs, n));
    CHECK_OK(bnb_cpu_dequantize_4bit(dtype, qt, cpu_packed.data(), cpu_absmax.data(), cpu_out.data(), bs, n));
    std::vector<uint8_t> codes(blocks);
    std::vector<float> absmax2((blocks + 255) / 256), code = test::dynamic_map(), offset_value = {0.0625f};
    for (int64_t b = 0; b < blocks; ++b) codes[b] = static_cast<uint8_t>(b * 37 + 11);
    for (size_t j = 0; j < absmax2.size(); ++j) absmax2[j] = 0.5f + 0.25f * j;
    bnb_4bit_nested_absmax host_nested = {codes.data(), code.data(), absmax2.data(), offset_value.data()};
    CHECK_OK(bnb_cpu_dequantize_4bit_nested(dtype, qt, cpu_packed.data(), &host_nested, cpu_nested.data(), bs, n));

    DeviceBuffer d_a((n + offset) * size), d_absmax(blocks * 4), d_packed(bytes + offset), d_out((n + offset) * size),
        d_codes(blocks), d_code(1024), d_absmax2(absmax2.size() * 4), d_offset(4);
    upload(d_a, a, offset * size);
    CHECK_OK(bnb_cuda_memset(d_packed.ptr, 0x5a, bytes + offset, nullptr));
    CHECK_OK(bnb_cuda_quantize_4bit(dtype, qt, d_a.at<char>(offset * size), d_absmax.at<float>(),
                                    d_packed.at<uint8_t>(offset), bs, n, nullptr));
    const std::vector<float> gpu_absmax = download<float>(d_absmax, blocks);
    const std::vector<uint8_t> gpu_packed = download<uint8_t>(d_packed, bytes, offset);
    const char* d = dtype_label(dtype);
    const char* q = quant_label(qt);
    for (int64_t b = 0; b < blocks; ++b)
        CHECK_OR_RETURN(test::same_float(cpu_absmax[b], gpu_absmax[b]), "%s %s n=%lld bs=%lld off=%d absmax[%lld]", d,
                        q, (long long)n, (long long)bs, offset, (long long)b);
    for (int64_t j = 0; j < bytes; ++j)
        CHECK_OR_RETURN(cpu_packed[j] == gpu_packed[j], "%s %s n=%lld bs=%lld off=%d byte %lld: cpu %02x gpu %02x", d,
                        q, (long long)n, (long long)bs, offset, (long long)j, cpu_packed[j], gpu_packed[j]);
    upload(d_absmax, cpu_absmax);
    CHECK_OK(bnb_cuda_dequantize_4bit(dtype, qt, d_packed.at<uint8_t>(offset), d_absmax.at<float>(),
                                      d_out.at<char>(offset * size), bs, n, nullptr));
    int64_t at = -1;
    CHECK(same_elements(dtype, cpu_out, download<uint8_t>(d_out, n * size, offset * size), n, &at),
          "%s %s n=%lld bs=%lld off=%d: dequantized value %lld differs", d, q, (long long)n, (long long)bs, offset,
          (long long)at);
    upload(d_codes, codes);
    upload(d_code, code);
    upload(d_absmax2, absmax2);
    upload(d_offset, offset_value);
    bnb_4bit_nested_absmax nested = {d_codes.at<uint8_t>(), d_code.at<float>(), d_absmax2.at<float>(),
                                     d_offset.at<float>()};
    CHECK_OK(bnb_cuda_dequantize_4bit_nested(dtype, qt, d_packed.at<uint8_t>(offset), &nested,
                                             d_out.at<char>(offset * size), bs, n, nullptr));
    CHECK(same_elements(dtype, cpu_nested, download<uint8_t>(d_out, n * size, offset * size), n, &at),
          "%s %s n=%lld bs=%lld off=%d: nested dequantized value %lld differs", d, q, (long long)n, (long long)bs,
          offset, (long long)at);
}

// The quantize and dequantize kernels give the CPU's results for every dtype, quant type and blocksize, odd sizes
// and unaligned pointers.
void test_quantization() {
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (int32_t qt : {BNB_QUANT_NF4, BNB_QUANT_FP4})
            for (int64_t n : {1, 3, 63, 64, 4097, 65537, 1000003})
                for (int64_t bs : {32, 64, 128, 256, 512, 1024, 2048, 4096})
                    for (int offset : {0, 1}) compare_quantization(dtype, qt, n, bs, offset);
}

// gemv on both backends: on the GPU the tensor-core kernel (16-bit inputs, sm_80+, k % 64 == 0, blocksize
// >= 64, aligned), the CUDA-core fast kernel (k % 32 == 0, aligned) and the general one.
void compare_gemv(int32_t dtype, int32_t qt, int64_t m, int64_t n, int64_t k, int64_t bs, bool nested, bool bias,
                  int offset) {
    const size_t size = test::dtype_size(dtype);
    const int64_t values = n * k, blocks = (values + bs - 1) / bs, bytes = (values + 1) / 2;
    const std::vector<uint8_t> w = test::random_values(dtype, values, values + m, false, 3);
    const std::vector<uint8_t> a = test::random_values(dtype, m * k, k + 5, false, 3);
    const std::vector<uint8_t> b = test::random_values(dtype, n, 77, false, 3);
    std::vector<float> absmax(blocks);
    std::vector<uint8_t> packed(bytes);
    CHECK_OK(bnb_cpu_quantize_4bit(dtype, qt, w.data(), absmax.data(), packed.data(), bs, values));
    std::vector<uint8_t> codes(blocks);
    std::vector<float> absmax2((blocks + 255) / 256), code = test::dynamic_map(), offset_value = {0.03125f};
    for (int64_t j = 0; j < blocks; ++j) codes[j] = static_cast<uint8_t>(128 + (j * 13) % 120);
    for (size_t j = 0; j < absmax2.size(); ++j) absmax2[j] = 1.0f + 0.125f * (j % 5);
    bnb_4bit_nested_absmax host_nested = {codes.data(), code.data(), absmax2.data(), offset_value.data()};
    std::vector<uint8_t> cpu_out(m * n * size);
    const void* host_bias = bias ? b.data() : nullptr;
    if (nested)
        CHECK_OK(bnb_cpu_gemv_4bit_nested(dtype, qt, a.data(), packed.data(), &host_nested, host_bias, cpu_out.data(),
                                          m, n, k, bs));
    else
        CHECK_OK(bnb_cpu_gemv_4bit(dtype, qt, a.data(), packed.data(), absmax.data(), host_bias, cpu_out.data(), m, n,
                                   k, bs));

    DeviceBuffer d_a((m * k + offset) * size), d_packed(bytes + offset), d_absmax(blocks * 4), d_bias(n * size),
        d_out(m * n * size), d_codes(blocks), d_code(1024), d_absmax2(absmax2.size() * 4), d_offset(4);
    upload(d_a, a, offset * size);
    upload(d_packed, packed, offset);
    upload(d_absmax, absmax);
    upload(d_bias, b);
    upload(d_codes, codes);
    upload(d_code, code);
    upload(d_absmax2, absmax2);
    upload(d_offset, offset_value);
    const void* device_bias = bias ? d_bias.ptr : nullptr;
    bnb_4bit_nested_absmax device_nested = {d_codes.at<uint8_t>(), d_code.at<float>(), d_absmax2.at<float>(),
                                            d_offset.at<float>()};
    if (nested)
        CHECK_OK(bnb_cuda_gemv_4bit_nested(dtype, qt, d_a.at<char>(offset * size), d_packed.at<uint8_t>(offset),
                                           &device_nested, device_bias, d_out.ptr, m, n, k, bs, nullptr));
    else
        CHECK_OK(bnb_cuda_gemv_4bit(dtype, qt, d_a.at<char>(offset * size), d_packed.at<uint8_t>(offset),
                                    d_absmax.at<float>(), device_bias, d_out.ptr, m, n, k, bs, nullptr));
    const std::vector<uint8_t> gpu_out = download<uint8_t>(d_out, m * n * size);
    // Both sum k products in f32 in different orders, then round to dtype once: allow f32 rounding of the
    // k terms' magnitudes and one unit of dtype (either side may round the other way). The tensor-core
    // kernel (16-bit inputs) rounds the table values to dtype: up to u = unit / 2 of each term's magnitude.
    const double unit = dtype == BNB_F32 ? 1.0 / (1 << 23) : dtype == BNB_F16 ? 1.0 / 1024 : 1.0 / 128;
    const double table_rounding = dtype == BNB_F32 ? 0.0 : unit / 2;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double magnitude = 0.0;
            for (int64_t c = 0; c < k; ++c) {
                const int64_t v = j * k + c;
                const double s = nested ? double(code[codes[v / bs]]) * absmax2[v / bs / 256] + offset_value[0]
                                        : double(absmax[v / bs]);
                magnitude += fabs(test::load_value(dtype, a, i * k + c) *
                                  test::spec_value(qt, test::code_at(packed, v)) * s);
            }
            const double c = test::load_value(dtype, cpu_out, i * n + j);
            const double g = test::load_value(dtype, gpu_out, i * n + j);
            const double tolerance = ((k + 2) * 1.2e-7 + table_rounding) * magnitude + unit * fabs(c) +
                                     (dtype == BNB_F16 ? 6e-8 : 1e-38);
            CHECK_OR_RETURN(fabs(c - g) <= tolerance,
                            "gemv %s %s m=%lld n=%lld k=%lld bs=%lld nested=%d bias=%d off=%d out[%lld,%lld]: "
                            "cpu %.8g gpu %.8g",
                            dtype_label(dtype), quant_label(qt), (long long)m, (long long)n, (long long)k,
                            (long long)bs, nested, bias, offset, (long long)i, (long long)j, c, g);
        }
}

void test_gemv() {
    struct Shape {
        int64_t m, n, k, bs;
    };
    const Shape shapes[] = {{1, 1, 32, 32},     {1, 129, 512, 64},   {2, 77, 4096, 128},  {3, 40, 1024, 4096},
                            {4, 33, 2048, 64},  {5, 64, 96, 32},     {8, 200, 4096, 64},  {16, 50, 8192, 256},
                            {1, 3, 63, 32},     {7, 9, 4097, 4096},  {16, 5, 100, 64},    {1, 1000, 14336, 64}};
    for (int32_t dtype : {BNB_F32, BNB_F16, BNB_BF16})
        for (int32_t qt : {BNB_QUANT_NF4, BNB_QUANT_FP4})
            for (const Shape& s : shapes)
                for (int variant = 0; variant < 4; ++variant)
                    compare_gemv(dtype, qt, s.m, s.n, s.k, s.bs, variant & 1, variant & 2, 0);
    // Tensor-core kernel: every batch size 1..16 (one and two 8-row tiles), partial 16-row tiles, partial
    // warp steps (65 chunks of 64 codes), a single chunk, several steps per warp, an 8-byte aligned weight.
    const Shape mma_shapes[] = {{1, 300, 4160, 64},  {2, 17, 64, 64},      {3, 48, 1024, 128}, {6, 40, 640, 256},
                                {9, 33, 2048, 64},   {12, 400, 8192, 64}, {13, 5, 192, 4096}, {15, 70, 28672, 64},
                                {10, 16, 4096, 512}, {11, 31, 3072, 1024}, {14, 64, 4160, 64}};
    for (int32_t dtype : {BNB_F16, BNB_BF16})
        for (int32_t qt : {BNB_QUANT_NF4, BNB_QUANT_FP4})
            for (const Shape& s : mma_shapes)
                for (int variant = 0; variant < 4; ++variant)
                    compare_gemv(dtype, qt, s.m, s.n, s.k, s.bs, variant & 1, variant & 2, 0);
    for (int64_t m = 1; m <= 16; ++m) compare_gemv(BNB_BF16, BNB_QUANT_NF4, m, 24, 512, 64, m % 2, m % 3 == 0, 8);
    // Unaligned activations or weight take the general kernel.
    compare_gemv(BNB_BF16, BNB_QUANT_NF4, 2, 31, 256, 64, false, true, 1);
    compare_gemv(BNB_F16, BNB_QUANT_FP4, 1, 31, 256, 64, true, false, 3);
}

void test_bad_arguments() {
    DeviceBuffer buf(4096);
    float* f = buf.at<float>();
    uint8_t* q = buf.at<uint8_t>(2048);
    CHECK_FAILS(bnb_cuda_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, q, 48, 16, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cuda_quantize_4bit(BNB_F32, 9, f, f, q, 64, 16, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cuda_quantize_4bit(BNB_I32, BNB_QUANT_NF4, f, f, q, 64, 16, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cuda_quantize_4bit(BNB_F32, BNB_QUANT_NF4, nullptr, f, q, 64, 16, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_dequantize_4bit(BNB_F32, BNB_QUANT_NF4, q, f, f, 64, -1, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_dequantize_4bit_nested(BNB_F32, BNB_QUANT_NF4, q, nullptr, f, 64, 16, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, f, 17, 4, 32, 64, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, nullptr, nullptr, f, 1, 4, 32, 64, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cuda_quantize_4bit(BNB_F16, BNB_QUANT_FP4, nullptr, nullptr, nullptr, 64, 0, nullptr));
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_fourbit_cuda_tests", argc, argv); status >= 0) return status;
    test_bad_arguments();
    test_quantization();
    test_gemv();
    return test::finish_program("bnb_fourbit_cuda_tests");
}
