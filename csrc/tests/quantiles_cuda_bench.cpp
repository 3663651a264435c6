// Throughput of bnb_cuda_estimate_quantiles, one JSON line per (dtype, n) in the "quantiles" schema of
// DESIGN.md without torch_sort_ms (scripts/bench/torch_sort.py measures that). Bytes: input read plus the
// 256 quantiles written. Usage:
//   bnb_quantiles_cuda_bench PATH_TO_libbnb_cudaXY.so [max_log2_n]
#include <stdlib.h>

#include <vector>

#include "bench_util.h"
#include "quantile_reference.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN [max_log2_n]\n", argv[0]);
        return 2;
    }
    const int max_log2 = argc > 2 ? atoi(argv[2]) : 28;
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    const int64_t max_n = int64_t{1} << max_log2;
    // Normal data, generated on the host once in f32 and converted per dtype.
    test::Random rng(3);
    std::vector<float> host(max_n);
    for (float& v : host) v = rng.normal();
    void *d_a, *d_out;
    REQUIRE_OK(bnb_cuda_malloc(0, max_n * 4, &d_a));
    REQUIRE_OK(bnb_cuda_malloc(0, 256 * 4, &d_out));
    const int32_t dtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
    for (int32_t dtype : dtypes) {
        const size_t size = test::element_size(dtype);
        if (dtype == BNB_F32) {
            REQUIRE_OK(bnb_cuda_memcpy(d_a, host.data(), max_n * 4, BNB_COPY_HOST_TO_DEVICE, nullptr));
        } else {
            std::vector<uint16_t> half(max_n);
            for (int64_t i = 0; i < max_n; ++i)
                half[i] = dtype == BNB_F16 ? bnb::float_to_half(host[i]) : bnb::float_to_bf16(host[i]);
            REQUIRE_OK(bnb_cuda_memcpy(d_a, half.data(), max_n * 2, BNB_COPY_HOST_TO_DEVICE, nullptr));
        }
        for (int log2 = 20; log2 <= max_log2; log2 += 4) {
            const int64_t n = int64_t{1} << log2;
            const float ms = median_ms([&] {
                REQUIRE_OK(bnb_cuda_estimate_quantiles(dtype, d_a, static_cast<float*>(d_out), 1.0f / 512, 256, n,
                                                       nullptr));
            });
            const double bytes = static_cast<double>(n) * size + 256 * 4;
            printf("{\"kind\":\"quantiles\",\"source\":\"bnb_quantiles_cuda_bench\",\"dtype\":\"%s\",\"n\":%lld,"
                   "\"ms\":%.4f,\"gbs\":%.1f}\n",
                   dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16", static_cast<long long>(n), ms,
                   bytes / ms / 1e6);
            fflush(stdout);
        }
    }
    REQUIRE_OK(bnb_cuda_free(0, d_a));
    REQUIRE_OK(bnb_cuda_free(0, d_out));
    return 0;
}
