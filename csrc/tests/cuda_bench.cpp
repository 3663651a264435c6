// Throughput of the CUDA quantization kernels, counting bytes read plus bytes written. Usage:
//   bnb_cuda_bench PATH_TO_libbnb_cudaXY.so [log2_n]
#include <algorithm>

#include "bench_util.h"
#include "test_util.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN [log2_n]\n", argv[0]);
        return 2;
    }
    const int64_t n = int64_t{1} << (argc > 2 ? atoi(argv[2]) : 28);
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    std::vector<float> code = test::dynamic_map();
    // Normal data: what model weights look like, and a fair load for the codebook search.
    test::Random rng(1);
    std::vector<float> host(n);
    for (float& v : host) v = rng.normal();
    void *d_code, *d_x, *d_a, *d_absmax, *d_q, *d_out;
    REQUIRE_OK(bnb_cuda_malloc(0, 1024, &d_code));
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4, &d_x));
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4, &d_a));
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4 / 64 + 4, &d_absmax));
    REQUIRE_OK(bnb_cuda_malloc(0, n, &d_q));
    REQUIRE_OK(bnb_cuda_malloc(0, n * 4, &d_out));
    REQUIRE_OK(bnb_cuda_memcpy(d_code, code.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memcpy(d_x, host.data(), n * 4, BNB_COPY_HOST_TO_DEVICE, nullptr));

    float copy_ms =
        median_ms([&] { REQUIRE_OK(bnb_cuda_memcpy(d_out, d_x, n * 4, BNB_COPY_DEVICE_TO_DEVICE, nullptr)); });
    printf("n = 2^%d; device copy: %.0f GB/s\n", __builtin_ctzll(n), 2.0 * n * 4 / copy_ms / 1e6);
    printf("%-5s %6s %12s %12s\n", "dtype", "bs", "quant GB/s", "dequant GB/s");
    const int32_t dtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
    for (int32_t dtype : dtypes) {
        const int64_t size = dtype == BNB_F32 ? 4 : 2;
        // The input in dtype: quantize the f32 data once with bs 64 and dequantize it into dtype.
        REQUIRE_OK(bnb_cuda_quantize_blockwise(BNB_F32, (float*)d_code, 256, d_x, (float*)d_absmax, n / 64 + 1,
                                               (uint8_t*)d_q, 64, n, nullptr));
        if (dtype == BNB_F32)
            REQUIRE_OK(bnb_cuda_memcpy(d_a, d_x, n * 4, BNB_COPY_DEVICE_TO_DEVICE, nullptr));
        else
            REQUIRE_OK(bnb_cuda_dequantize_blockwise(dtype, (float*)d_code, 256, (uint8_t*)d_q, (float*)d_absmax,
                                                     n / 64 + 1, d_a, 64, n, nullptr));
        for (int64_t bs : {64, 128, 256, 512, 1024, 2048, 4096}) {
            float q_ms = median_ms([&] {
                REQUIRE_OK(bnb_cuda_quantize_blockwise(dtype, (float*)d_code, 256, d_a, (float*)d_absmax, n / 64 + 1,
                                                       (uint8_t*)d_q, bs, n, nullptr));
            });
            float d_ms = median_ms([&] {
                REQUIRE_OK(bnb_cuda_dequantize_blockwise(dtype, (float*)d_code, 256, (uint8_t*)d_q, (float*)d_absmax,
                                                         n / 64 + 1, d_out, bs, n, nullptr));
            });
            double bytes = static_cast<double>(n) * (size + 1);
            printf("%-5s %6lld %12.0f %12.0f\n", dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16",
                   (long long)bs, bytes / q_ms / 1e6, bytes / d_ms / 1e6);
        }
    }
    return 0;
}
