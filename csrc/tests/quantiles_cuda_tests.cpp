// Checks bnb_cuda_estimate_quantiles against libbnb_cpu (bit-identical, NaN payloads aside) and against the
// reference of quantile_reference.h, and its argument checks. Usage:
//   bnb_quantiles_cuda_tests PATH_TO_libbnb_cudaXY.so
// Without a GPU it reports that it skipped and succeeds.
#include <string.h>

#include "quantile_reference.h"

namespace {

// A device buffer of the C API, freed on scope exit.
struct DeviceBuffer {
    void* ptr = nullptr;
    explicit DeviceBuffer(int64_t bytes) { CHECK_OK(bnb_cuda_malloc(0, bytes, &ptr)); }
    ~DeviceBuffer() { CHECK_OK(bnb_cuda_free(0, ptr)); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    char* bytes(int64_t offset = 0) const { return static_cast<char*>(ptr) + offset; }
};

const char* dtype_label(int32_t dtype) { return dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16"; }

// GPU and CPU on the input a of n values; element_offset > 0 puts the device input off its 16-byte alignment.
void compare_input(int32_t dtype, const std::vector<uint8_t>& a, int64_t n, float offset, int num_quantiles,
                   int element_offset) {
    const size_t size = test::element_size(dtype);
    std::vector<float> cpu(num_quantiles), gpu(num_quantiles + 1);
    CHECK_OK(bnb_cpu_estimate_quantiles(dtype, a.data(), cpu.data(), offset, num_quantiles, n));
    DeviceBuffer d_a((n + element_offset) * size), d_out((num_quantiles + 1) * 4);
    CHECK_OK(bnb_cuda_memset(d_out.ptr, 0x7f, (num_quantiles + 1) * 4, nullptr));
    CHECK_OK(bnb_cuda_memcpy(d_a.bytes(element_offset * size), a.data(), n * size, BNB_COPY_HOST_TO_DEVICE, nullptr));
    CHECK_OK(bnb_cuda_estimate_quantiles(dtype, d_a.bytes(element_offset * size), static_cast<float*>(d_out.ptr),
                                         offset, num_quantiles, n, nullptr));
    CHECK_OK(bnb_cuda_memcpy(gpu.data(), d_out.ptr, (num_quantiles + 1) * 4, BNB_COPY_DEVICE_TO_HOST, nullptr));
    CHECK_OK(bnb_cuda_stream_synchronize(nullptr));
    CHECK(test::bits_of(gpu[num_quantiles]) == 0x7f7f7f7fu, "wrote past out[%d]", num_quantiles);
    const std::vector<float> expected = test::reference_quantiles(dtype, a, n, offset, num_quantiles);
    for (int j = 0; j < num_quantiles; ++j) {
        CHECK_OR_RETURN(test::same_float(gpu[j], cpu[j]),
                        "%s n=%lld offset=%g k=%d shift=%d: out[%d] gpu %.9g cpu %.9g", dtype_label(dtype),
                        static_cast<long long>(n), offset, num_quantiles, element_offset, j, gpu[j], cpu[j]);
        CHECK_OR_RETURN(test::same_float(gpu[j], expected[j]), "%s n=%lld: out[%d] gpu %.9g reference %.9g",
                        dtype_label(dtype), static_cast<long long>(n), j, gpu[j], expected[j]);
    }
}

void compare(int32_t dtype, int64_t n, float offset, int num_quantiles, bool specials, int element_offset) {
    compare_input(dtype, test::quantile_input(dtype, n, static_cast<uint64_t>(n) * 13 + dtype, specials), n, offset,
                  num_quantiles, element_offset);
}

// f32 inputs whose sorted chunks hold long runs of keys with equal high bits, for the pick kernels that select
// inside such runs: values in [1, 1 + width) (width 2^-3: runs of about 16 distinct keys; 2^-10: runs of
// thousands, which make the kernel sort all bits), bf16 values held in f32 (runs of equal keys) and a constant.
void test_narrow_f32_inputs() {
    const int64_t n = 37 * 4096 + 11;
    test::Random rng(9);
    auto input = [&](auto value) {
        std::vector<uint8_t> a(n * 4);
        for (int64_t i = 0; i < n; ++i) {
            const float v = value();
            memcpy(a.data() + i * 4, &v, 4);
        }
        return a;
    };
    for (float width : {0x1p-3f, 0x1p-10f})
        compare_input(BNB_F32, input([&] { return 1.0f + rng.uniform(0.0f, width); }), n, 1.0f / 512, 256, 0);
    compare_input(BNB_F32, input([&] { return bnb::bits_float(bnb::float_bits(rng.normal()) & 0xffff0000u); }), n,
                  1.0f / 512, 256, 0);
    compare_input(BNB_F32, input([] { return 3.0f; }), n, 1.0f / 512, 256, 1);
}

void test_against_cpu() {
    const int32_t dtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
    const int64_t sizes[] = {256, 257, 3841, 4095, 4096, 4097, 3 * 4096 + 5, 64 * 4096, 131 * 4096 + 17, 1000003};
    for (int32_t dtype : dtypes)
        for (int64_t n : sizes)
            for (int shift : {0, 1}) {
                compare(dtype, n, 1.0f / 512, 256, false, shift);
                compare(dtype, n, 1.0f / 512, 256, true, shift);
            }
    for (int k : {1, 3, 7, 15, 127, 255}) compare(BNB_BF16, 9 * 4096, 1.0f / (2 * k), k, true, 0);
    compare(BNB_F32, (1 << 24) + 3, 0.02f, 256, false, 0);
}

void test_bad_arguments() {
    DeviceBuffer d_a(4096 * 4), d_out(256 * 4);
    float* out = static_cast<float*>(d_out.ptr);
    CHECK_FAILS(bnb_cuda_estimate_quantiles(BNB_F32, d_a.ptr, out, 1.0f / 512, 256, 255, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "n must be >= 256") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cuda_estimate_quantiles(BNB_F32, d_a.ptr, out, 0.6f, 256, 4096, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_estimate_quantiles(BNB_F32, d_a.ptr, out, 0.1f, 300, 4096, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_estimate_quantiles(BNB_F32, nullptr, out, 0.1f, 256, 4096, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_estimate_quantiles(BNB_I32, d_a.ptr, out, 0.1f, 256, 4096, nullptr), BNB_ERR_UNSUPPORTED);
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_quantiles_cuda_tests", argc, argv); status >= 0) return status;
    test_against_cpu();
    test_narrow_f32_inputs();
    test_bad_arguments();
    return test::finish_program("bnb_quantiles_cuda_tests");
}
