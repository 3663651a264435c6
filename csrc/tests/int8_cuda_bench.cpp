// Throughput of the memory-bound int8 kernels of LLM.int8() at the shapes of the issue, as JSON lines
// (bytes read plus written per second; one device copy line as the ceiling). Usage:
//   bnb_int8_cuda_bench PATH_TO_libbnb_cudaXY.so
#include "bench_util.h"
#include "int8_cases.h"

namespace {

void* device(int64_t bytes) {
    void* p = nullptr;
    REQUIRE_OK(bnb_cuda_malloc(0, bytes, &p));
    return p;
}

void upload(void* dst, const void* src, int64_t bytes) {
    REQUIRE_OK(bnb_cuda_memcpy(dst, src, bytes, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_stream_synchronize(nullptr));
}

void print_line(const char* op, const char* dtype, int64_t M, int64_t K_or_N, const char* dim, double threshold,
                double bytes, float ms) {
    printf("{\"kind\":\"int8_kernel\",\"op\":\"%s\",\"dtype\":\"%s\",\"M\":%lld,\"%s\":%lld,\"threshold\":%g,"
           "\"ms\":%.5f,\"GBps\":%.0f}\n",
           op, dtype, (long long)M, dim, (long long)K_or_N, threshold, ms, bytes / ms / 1e6);
    fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN\n", argv[0]);
        return 2;
    }
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    const int64_t max_m = 16384, max_k = 14336;
    const int64_t max_elements = max_m * max_k;
    void* d_a = device(max_elements * 4);
    void* d_codes = device(max_elements);
    void* d_c = device(max_elements * 4);
    void* d_out = device(max_elements * 4);
    void* d_row = device(max_m * 4);
    void* d_col = device(max_k * 4);
    void* d_bias = device(max_k * 4);
    void* d_cols = device(max_k * 8);
    void* d_n = device(8);

    float copy_ms = median_ms(
        [&] { REQUIRE_OK(bnb_cuda_memcpy(d_out, d_c, max_elements * 4, BNB_COPY_DEVICE_TO_DEVICE, nullptr)); });
    printf("{\"kind\":\"int8_kernel\",\"op\":\"device_copy\",\"bytes\":%lld,\"ms\":%.5f,\"GBps\":%.0f}\n",
           (long long)(max_elements * 4), copy_ms, 2.0 * max_elements * 4 / copy_ms / 1e6);

    // Row-wise quantization: activations with 8 outlier columns (|x| in [6.5, 20] every third row there).
    for (int32_t dtype : {BNB_F16, BNB_BF16, BNB_F32}) {
        const size_t size = test::dtype_bytes(dtype);
        for (int64_t K : {4096, 14336}) {
            test::Matrix a = test::activations(dtype, 3, K, 1, false, false);
            std::vector<uint8_t> host(max_m * K * size);
            for (int64_t r = 0; r < max_m; ++r) {  // rows repeat a few random ones; the kernels do not care
                memcpy(&host[r * K * size], &a.bytes[(r % 3) * K * size], K * size);
                if (r % 3 == 0)
                    for (int j = 0; j < 8; ++j) {
                        test::Matrix one(dtype, 1, 1);
                        one.set(0, 10.0f + j);
                        memcpy(&host[(r * K + (j * 509 + 7) % K) * size], one.data(), size);
                    }
            }
            upload(d_a, host.data(), max_m * K * size);
            for (int64_t M : {1, 32, 4096, 16384})
                for (float th : {0.0f, 6.0f}) {
                    float ms = median_ms([&] {
                        REQUIRE_OK(bnb_cuda_int8_vectorwise_quant(dtype, d_a, M, K, th, (int8_t*)d_codes, (float*)d_row,
                                                                  (int64_t*)d_cols, (int64_t*)d_n, nullptr));
                    });
                    print_line("vectorwise_quant", test::dtype_label(dtype), M, K, "K", th,
                               static_cast<double>(M) * K * (size + 1) + M * 4.0, ms);
                }
            for (int64_t M : {1, 32, 4096, 16384}) {
                float ms = median_ms([&] {
                    REQUIRE_OK(bnb_cuda_int8_vectorwise_dequant(dtype, (int8_t*)d_codes, (float*)d_row, M, K, d_out,
                                                                nullptr));
                });
                print_line("vectorwise_dequant", test::dtype_label(dtype), M, K, "K", 0,
                           static_cast<double>(M) * K * (size + 1), ms);
            }
        }
    }

    // The 8 outlier columns of the mixed-precision product: gathered from the activations, dequantized from
    // the weight (d_a and d_codes hold the last dtype's data; the timing does not depend on the values).
    {
        std::vector<int64_t> columns(8);
        for (int j = 0; j < 8; ++j) columns[j] = (j * 509 + 7) % 4096;
        upload(d_cols, columns.data(), 8 * 8);
    }
    for (int64_t rows : {1, 32, 4096, 14336}) {
        const int32_t dtype = BNB_F16;
        float ms = median_ms([&] {
            REQUIRE_OK(bnb_cuda_int8_gather_columns(dtype, d_a, rows, 4096, (int64_t*)d_cols, 8, d_out, nullptr));
        });
        print_line("gather_columns", "f16", rows, 4096, "K", 6, rows * 8 * 4.0, ms);
        ms = median_ms([&] {
            REQUIRE_OK(bnb_cuda_int8_dequant_columns(dtype, (int8_t*)d_codes, (float*)d_row, rows, 4096,
                                                     (int64_t*)d_cols, 8, d_out, nullptr));
        });
        print_line("dequant_columns", "f16", rows, 4096, "K", 6, rows * 8 * 3.0, ms);
    }

    // int32 product to dtype with bias.
    {
        test::Random rng(3);
        std::vector<int32_t> c(max_elements);
        for (int32_t& x : c) x = static_cast<int32_t>(rng.bits() % 2000001) - 1000000;
        upload(d_c, c.data(), max_elements * 4);
        std::vector<float> stats(std::max(max_m, max_k), 0.25f);
        upload(d_row, stats.data(), max_m * 4);
        upload(d_col, stats.data(), max_k * 4);
        REQUIRE_OK(bnb_cuda_memset(d_bias, 0, max_k * 4, nullptr));
    }
    for (int32_t dtype : {BNB_F16, BNB_BF16, BNB_F32}) {
        const size_t size = test::dtype_bytes(dtype);
        for (int64_t N : {4096, 14336})
            for (int64_t M : {1, 32, 4096, 16384}) {
                float ms = median_ms([&] {
                    REQUIRE_OK(bnb_cuda_int8_mm_dequant(dtype, (int32_t*)d_c, (float*)d_row, (float*)d_col, d_bias,
                                                        d_out, M, N, nullptr));
                });
                print_line("mm_dequant", test::dtype_label(dtype), M, N, "N", 0,
                           static_cast<double>(M) * N * (4 + size), ms);
            }
    }
    // The fused product of few rows (decode), per call of 20 back to back: f16 activations [32, 4096] with 8
    // outlier columns (row 0), d_codes as the weight [N, 4096], d_col as SCB, the zero d_bias.
    {
        const int64_t K = 4096;
        test::Matrix x = test::activations(BNB_F16, 32, K, 5, false, false);
        for (int j = 0; j < 8; ++j) x.set((j * 509 + 7) % K, 10.0f + j);
        upload(d_a, x.data(), 32 * K * 2);
        void* d_state = device((2 + 2 * K) * 4);
        void* d_x = device(32 * K);
        REQUIRE_OK(bnb_cuda_memset(d_state, 0, (2 + 2 * K) * 4, nullptr));
        for (int64_t N : {4096, 14336})
            for (int64_t M : {1, 2, 4, 8, 16, 32})
                for (float th : {0.0f, 6.0f}) {
                    const int reps = 20;
                    float ms = median_ms([&] {
                        for (int i = 0; i < reps; ++i)
                            REQUIRE_OK(bnb_cuda_int8_fused_matmul(BNB_F16, d_a, (int8_t*)d_codes, (float*)d_col,
                                                                  d_bias, M, N, K, th, (int8_t*)d_x, (float*)d_row,
                                                                  (int32_t*)d_state, d_out, nullptr));
                    }) / reps;
                    int32_t found = 0;
                    REQUIRE_OK(bnb_cuda_memcpy(&found, (int32_t*)d_state + 1, 4, BNB_COPY_DEVICE_TO_HOST, nullptr));
                    const double bytes = static_cast<double>(N) * K + M * K * 2.0 + M * N * 2.0;
                    printf("{\"kind\":\"int8_kernel\",\"op\":\"fused_matmul\",\"dtype\":\"f16\",\"M\":%lld,"
                           "\"K\":%lld,\"N\":%lld,\"threshold\":%g,\"outlier_cols\":%d,\"ms\":%.5f,"
                           "\"GBps\":%.0f}\n",
                           (long long)M, (long long)K, (long long)N, th, th > 0 ? found : 0, ms, bytes / ms / 1e6);
                    fflush(stdout);
                }
        REQUIRE_OK(bnb_cuda_free(0, d_state));
        REQUIRE_OK(bnb_cuda_free(0, d_x));
    }
    for (void* p : {d_a, d_codes, d_c, d_out, d_row, d_col, d_bias, d_cols, d_n}) REQUIRE_OK(bnb_cuda_free(0, p));
    return 0;
}
