// Device time of the CUDA 4-bit kernels, as JSON lines (docs: DESIGN.md, "Benchmarks"). Usage:
//   bnb_fourbit_cuda_bench PATH_TO_libbnb_cudaXY.so
// quantize/dequantize: 8192 x 8192 values, GB/s of bytes read plus written. gemv: the weight shapes of issue 9,
// batch 1, 2, 4, 8 and 16, plain and nested absmax; the weight is rotated over enough copies (>= 256 MB)
// that every launch reads it from device memory, not from the L2 cache, as in a model's forward pass.
#include "bench_util.h"
#include "fourbit_reference.h"
#include "test_util.h"

namespace {

// Median over 15 runs of `launches` back-to-back launches, per launch.
template <typename Op>
float per_launch_ms(Op op, int launches) {
    return median_ms([&] {
        for (int i = 0; i < launches; ++i) op(i);
    }) / launches;
}

void bench_quantization() {
    const int64_t n = int64_t{8192} * 8192;
    void *d_in, *d_absmax, *d_packed, *d_out;
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4, &d_in));
    REQUIRE_OK(bnb_cuda_malloc(0, n / 32 * 4 + 4, &d_absmax));
    REQUIRE_OK(bnb_cuda_malloc(0, n / 2, &d_packed));
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4, &d_out));
    for (int32_t dtype : {BNB_BF16, BNB_F16, BNB_F32}) {
        const std::vector<uint8_t> host = test::random_values(dtype, n, 1, false, 3);
        REQUIRE_OK(bnb_cuda_memcpy(d_in, host.data(), host.size(), BNB_COPY_HOST_TO_DEVICE, nullptr));
        const int64_t size = static_cast<int64_t>(test::dtype_size(dtype));
        for (int32_t qt : {BNB_QUANT_NF4, BNB_QUANT_FP4})
            for (int64_t bs : {64, 128, 4096}) {
                const float q_ms = per_launch_ms([&](int) {
                    REQUIRE_OK(bnb_cuda_quantize_4bit(dtype, qt, d_in, (float*)d_absmax, (uint8_t*)d_packed, bs, n,
                                                      nullptr));
                }, 5);
                const float d_ms = per_launch_ms([&](int) {
                    REQUIRE_OK(bnb_cuda_dequantize_4bit(dtype, qt, (uint8_t*)d_packed, (float*)d_absmax, d_out, bs, n,
                                                        nullptr));
                }, 5);
                const double bytes = double(n) * size + n / 2.0 + double(n / bs) * 4;
                printf("{\"kind\":\"4bit\",\"dtype\":\"%s\",\"n\":%lld,\"quant_type\":\"%s\",\"blocksize\":%lld,"
                       "\"quant_ms\":%.4f,\"dequant_ms\":%.4f,\"quant_gbs\":%.0f,\"dequant_gbs\":%.0f}\n",
                       test::dtype_label(dtype), (long long)n, test::quant_label(qt), (long long)bs, q_ms, d_ms,
                       bytes / q_ms / 1e6, bytes / d_ms / 1e6);
                fflush(stdout);
            }
    }
    REQUIRE_OK(bnb_cuda_free(0, d_in));
    REQUIRE_OK(bnb_cuda_free(0, d_absmax));
    REQUIRE_OK(bnb_cuda_free(0, d_packed));
    REQUIRE_OK(bnb_cuda_free(0, d_out));
}

void bench_gemv(int64_t N, int64_t K) {
    const int64_t bs = 64, values = N * K, blocks = values / bs, bytes = values / 2;
    const int copies = static_cast<int>(std::max<int64_t>(1, ((int64_t{256} << 20) + bytes - 1) / bytes));
    void *d_packed, *d_absmax, *d_codes, *d_code, *d_absmax2, *d_offset, *d_a, *d_out;
    REQUIRE_OK(bnb_cuda_malloc(0, bytes * copies, &d_packed));
    REQUIRE_OK(bnb_cuda_malloc(0, blocks * 4 * copies, &d_absmax));
    REQUIRE_OK(bnb_cuda_malloc(0, blocks * copies, &d_codes));
    REQUIRE_OK(bnb_cuda_malloc(0, 1024, &d_code));
    REQUIRE_OK(bnb_cuda_malloc(0, (blocks / 256 + 1) * 4, &d_absmax2));
    REQUIRE_OK(bnb_cuda_malloc(0, 4, &d_offset));
    REQUIRE_OK(bnb_cuda_malloc(0, 16 * K * 4, &d_a));
    REQUIRE_OK(bnb_cuda_malloc(0, 16 * N * 4, &d_out));
    // Contents do not change the time: fill the weight with a pattern, scales with 1s, codes with 200.
    REQUIRE_OK(bnb_cuda_memset(d_packed, 0x5b, bytes * copies, nullptr));
    REQUIRE_OK(bnb_cuda_memset(d_codes, 200, blocks * copies, nullptr));
    const std::vector<float> ones(blocks, 1.0f), code = test::dynamic_map(), absmax2(blocks / 256 + 1, 1.0f);
    for (int c = 0; c < copies; ++c)
        REQUIRE_OK(bnb_cuda_memcpy(static_cast<char*>(d_absmax) + c * blocks * 4, ones.data(), blocks * 4,
                                   BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memcpy(d_code, code.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memcpy(d_absmax2, absmax2.data(), absmax2.size() * 4, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memset(d_offset, 0, 4, nullptr));
    REQUIRE_OK(bnb_cuda_memset(d_a, 0x3c, 16 * K * 4, nullptr));
    for (int32_t dtype : {BNB_BF16, BNB_F16})
        for (int64_t batch : {1, 2, 4, 8, 16})
            for (int nested = 0; nested < 2; ++nested) {
                const float ms = per_launch_ms([&](int i) {
                    const int c = i % copies;
                    const uint8_t* packed = static_cast<const uint8_t*>(d_packed) + c * bytes;
                    if (nested) {
                        bnb_4bit_nested_absmax scales = {static_cast<const uint8_t*>(d_codes) + c * blocks,
                                                         static_cast<const float*>(d_code),
                                                         static_cast<const float*>(d_absmax2),
                                                         static_cast<const float*>(d_offset)};
                        REQUIRE_OK(bnb_cuda_gemv_4bit_nested(dtype, BNB_QUANT_NF4, d_a, packed, &scales, nullptr, d_out,
                                                             batch, N, K, bs, nullptr));
                    } else {
                        REQUIRE_OK(bnb_cuda_gemv_4bit(dtype, BNB_QUANT_NF4, d_a, packed,
                                                      static_cast<const float*>(d_absmax) + c * blocks, nullptr, d_out,
                                                      batch, N, K, bs, nullptr));
                    }
                }, 4 * copies);
                const double read = double(bytes) + double(blocks) * (nested ? 1 : 4);
                printf("{\"kind\":\"gemv4bit\",\"N\":%lld,\"K\":%lld,\"dtype\":\"%s\",\"batch\":%lld,\"absmax\":\"%s\","
                       "\"blocksize\":%lld,\"nf4_us\":%.2f,\"weight_gbs\":%.0f}\n",
                       (long long)N, (long long)K, test::dtype_label(dtype), (long long)batch,
                       nested ? "nested" : "plain", (long long)bs, ms * 1e3, read / ms / 1e6);
                fflush(stdout);
            }
    for (void* p : {d_packed, d_absmax, d_codes, d_code, d_absmax2, d_offset, d_a, d_out})
        REQUIRE_OK(bnb_cuda_free(0, p));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN\n", argv[0]);
        return 2;
    }
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    bench_quantization();
    const int64_t shapes[][2] = {{4096, 4096}, {14336, 4096}, {4096, 14336}, {8192, 28672}, {28672, 8192}};
    for (const auto& s : shapes) bench_gemv(s[0], s[1]);
    return 0;
}
