// The candidate CUDA 4-bit GEMV kernels side by side, so that one GPU run measures all and the fastest
// correct one becomes the plugin's (fourbit_gemv.cu, kMmaGemv). It includes the kernels' headers and
// launches them directly: no selector in the plugin or the C API. First every variant is checked against
// a double reference on random data (exit status 1 on a mismatch), then timed as JSON lines of kind
// gemv4bit with a "variant" field: the weight shapes of issue 9, bf16 and f16, plain and nested absmax,
// batch 1, 2, 4, 8, 16, NF4 blocksize 64, weights rotated over >= 256 MB so every launch reads device
// memory. Usage: bnb_fourbit_gemv_variants_cuda_bench PATH_TO_CUDA_PLUGIN
#include <cuda_runtime.h>
#include <stdarg.h>

#include "cuda/quant/fourbit_gemv_mma.cuh"
#include "cuda/quant/fourbit_gemv_simt.cuh"
#include "fourbit_reference.h"
#include "test_util.h"

// The kernels' error path records through bnb::fail, which lives hidden in the libraries: print instead.
bnb_status bnb::fail(bnb_status status, const char* file, int line, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    return status;
}

namespace {

using Launch = bnb_status (*)(int32_t, const void*, const uint8_t*, const bnb::ScaleArgs&, const void*, void*,
                              int64_t, int64_t, int64_t, int64_t, cudaStream_t);

// The candidates; removing one is deleting its line here and its name.
const char* const kVariants[] = {"simt", "mma-smem-c4", "mma-smem-c8", "mma-prmt-c4", "mma-prmt-c8"};
constexpr int kVariantCount = sizeof kVariants / sizeof kVariants[0];

template <int32_t D, bool Nested>
Launch variant(int v) {
    using namespace bnb;
    switch (v) {
        case 0: return simt4::launch_gemv_simt<D, Nested>;
        case 1: return mma4::launch_gemv_mma<D, Nested, SmemPairDecoder, 4>;
        case 2: return mma4::launch_gemv_mma<D, Nested, SmemPairDecoder, 8>;
        case 3: return mma4::launch_gemv_mma<D, Nested, RegisterPairDecoder, 4>;
        default: return mma4::launch_gemv_mma<D, Nested, RegisterPairDecoder, 8>;
    }
}

Launch variant(int v, int32_t dtype, bool nested) {
    if (dtype == BNB_BF16) return nested ? variant<BNB_BF16, true>(v) : variant<BNB_BF16, false>(v);
    return nested ? variant<BNB_F16, true>(v) : variant<BNB_F16, false>(v);
}

#define CUDA_OK(call)                                                                       \
    do {                                                                                    \
        cudaError_t e_ = (call);                                                            \
        if (e_ != cudaSuccess) {                                                            \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

template <typename T>
T* device_copy(const std::vector<T>& v) {
    T* d = nullptr;
    CUDA_OK(cudaMalloc(&d, v.size() * sizeof(T) + 16));
    CUDA_OK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
    return d;
}

// Every variant against a double reference: n = 200 rows (a partial 16-row tile), k = 4160 (65 chunks: a
// partial warp step), random codes and scales. The tensor-core variants round the table to dtype, so the
// bound adds u * sum |a w| (u = 2^-8 bf16, 2^-11 f16) to the test programs' f32-order and output terms.
bool check_variants() {
    const int64_t n = 200, k = 4160, bs = 64, blocks = n * k / bs;
    std::mt19937 engine(7);
    std::vector<uint8_t> packed(n * k / 2), codes(blocks);
    std::vector<float> absmax(blocks), absmax2(blocks / 256 + 1), code = test::dynamic_map(), offset = {0.03125f};
    for (auto& b : packed) b = static_cast<uint8_t>(engine());
    for (auto& c : codes) c = static_cast<uint8_t>(128 + engine() % 120);
    for (auto& a : absmax) a = 0.01f + (engine() % 1000) / 100.0f;
    for (auto& a : absmax2) a = 1.0f + (engine() % 5) / 8.0f;
    uint8_t* d_packed = device_copy(packed);
    uint8_t* d_codes = device_copy(codes);
    float *d_absmax = device_copy(absmax), *d_absmax2 = device_copy(absmax2), *d_code = device_copy(code),
          *d_offset = device_copy(offset);
    bool ok = true;
    for (int32_t dtype : {BNB_BF16, BNB_F16})
        for (int nested = 0; nested < 2; ++nested)
            for (int64_t m : {1, 5, 8, 16}) {
                const std::vector<uint8_t> a = test::random_values(dtype, m * k, 11 + m, false, 3);
                uint8_t* d_a = device_copy(a);
                void* d_out = nullptr;
                CUDA_OK(cudaMalloc(&d_out, m * n * 2));
                const bnb::ScaleArgs scales = nested ? bnb::ScaleArgs{nullptr, d_codes, d_code, d_absmax2, d_offset}
                                                     : bnb::plain_scale_args(d_absmax);
                const double u = dtype == BNB_BF16 ? 1.0 / 256 : 1.0 / 2048, unit = 2 * u;
                for (int v = 0; v < kVariantCount; ++v) {
                    if (variant(v, dtype, nested)(BNB_QUANT_NF4, d_a, d_packed, scales, nullptr, d_out, m, n, k, bs,
                                                  nullptr) != BNB_OK)
                        exit(1);
                    std::vector<uint8_t> out(m * n * 2);
                    CUDA_OK(cudaMemcpy(out.data(), d_out, out.size(), cudaMemcpyDeviceToHost));
                    int bad = 0;
                    for (int64_t i = 0; i < m; ++i)
                        for (int64_t j = 0; j < n; ++j) {
                            double sum = 0, magnitude = 0;
                            for (int64_t c = 0; c < k; ++c) {
                                const int64_t b = (j * k + c) / bs;
                                const float s = nested ? bnb::nested_absmax(code[codes[b]], absmax2[b / 256], offset[0])
                                                       : absmax[b];
                                const double term = double(test::load_value(dtype, a, i * k + c)) *
                                                    test::spec_value(BNB_QUANT_NF4, test::code_at(packed, j * k + c)) *
                                                    s;
                                sum += term;
                                magnitude += fabs(term);
                            }
                            const double got = test::load_value(dtype, out, i * n + j);
                            const double bound = ((v == 0 ? 0 : u) + (k + 2) * 1.2e-7) * magnitude + unit * fabs(sum);
                            if (!(fabs(got - sum) <= bound) && bad++ < 3)
                                fprintf(stderr, "%s %s nested=%d m=%lld out[%lld,%lld] = %.8g, reference %.8g\n",
                                        kVariants[v], test::dtype_label(dtype), nested, (long long)m, (long long)i,
                                        (long long)j, got, sum);
                        }
                    ok = ok && bad == 0;
                }
                CUDA_OK(cudaFree(d_a));
                CUDA_OK(cudaFree(d_out));
            }
    for (void* p : {(void*)d_packed, (void*)d_codes, (void*)d_absmax, (void*)d_absmax2, (void*)d_code,
                    (void*)d_offset})
        CUDA_OK(cudaFree(p));
    return ok;
}

// Median over 15 runs (after 3 warm-ups) of `launches` back-to-back launches, per launch, in ms.
template <typename Op>
float per_launch_ms(Op op, int launches) {
    cudaEvent_t start, end;
    CUDA_OK(cudaEventCreate(&start));
    CUDA_OK(cudaEventCreate(&end));
    std::vector<float> times;
    for (int r = 0; r < 18; ++r) {
        CUDA_OK(cudaEventRecord(start));
        for (int i = 0; i < launches; ++i) op(i);
        CUDA_OK(cudaEventRecord(end));
        CUDA_OK(cudaEventSynchronize(end));
        float ms = 0;
        CUDA_OK(cudaEventElapsedTime(&ms, start, end));
        if (r >= 3) times.push_back(ms / launches);
    }
    CUDA_OK(cudaEventDestroy(start));
    CUDA_OK(cudaEventDestroy(end));
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

void bench_shape(int64_t N, int64_t K) {
    const int64_t bs = 64, values = N * K, blocks = values / bs, bytes = values / 2;
    const int copies = static_cast<int>(std::max<int64_t>(1, ((int64_t{256} << 20) + bytes - 1) / bytes));
    uint8_t *d_packed, *d_codes;
    float *d_absmax, *d_absmax2, *d_offset;
    void *d_a, *d_out;
    CUDA_OK(cudaMalloc(&d_packed, bytes * copies));
    CUDA_OK(cudaMalloc(&d_codes, blocks * copies));
    CUDA_OK(cudaMalloc(&d_a, 16 * K * 2));
    CUDA_OK(cudaMalloc(&d_out, 16 * N * 2));
    CUDA_OK(cudaMemset(d_packed, 0x5b, bytes * copies));
    CUDA_OK(cudaMemset(d_codes, 200, blocks * copies));
    CUDA_OK(cudaMemset(d_a, 0x3c, 16 * K * 2));
    d_absmax = device_copy(std::vector<float>(blocks * copies, 1.0f));
    d_absmax2 = device_copy(std::vector<float>(blocks / 256 + 1, 1.0f));
    d_offset = device_copy(std::vector<float>{0.0f});
    float* d_code = device_copy(test::dynamic_map());
    for (int32_t dtype : {BNB_BF16, BNB_F16})
        for (int nested = 0; nested < 2; ++nested)
            for (int64_t batch : {1, 2, 4, 8, 16})
                for (int v = 0; v < kVariantCount; ++v) {
                    const Launch launch = variant(v, dtype, nested);
                    const float ms = per_launch_ms([&](int i) {
                        const int c = i % copies;
                        const bnb::ScaleArgs scales =
                            nested ? bnb::ScaleArgs{nullptr, d_codes + c * blocks, d_code, d_absmax2, d_offset}
                                   : bnb::plain_scale_args(d_absmax + c * blocks);
                        if (launch(BNB_QUANT_NF4, d_a, d_packed + c * bytes, scales, nullptr, d_out, batch, N, K, bs,
                                   nullptr) != BNB_OK)
                            exit(1);
                    }, 4 * copies);
                    const double read = double(bytes) + double(blocks) * (nested ? 1 : 4);
                    printf("{\"kind\":\"gemv4bit\",\"variant\":\"%s\",\"N\":%lld,\"K\":%lld,\"dtype\":\"%s\","
                           "\"batch\":%lld,\"absmax\":\"%s\",\"blocksize\":%lld,\"nf4_us\":%.2f,\"weight_gbs\":%.0f}\n",
                           kVariants[v], (long long)N, (long long)K, test::dtype_label(dtype), (long long)batch,
                           nested ? "nested" : "plain", (long long)bs, ms * 1e3, read / ms / 1e6);
                    fflush(stdout);
                }
    for (void* p : {(void*)d_packed, (void*)d_codes, (void*)d_absmax, (void*)d_absmax2, (void*)d_offset, d_a, d_out,
                    (void*)d_code})
        CUDA_OK(cudaFree(p));
}

}  // namespace

int main(int argc, char** argv) {
    const char* name = "bnb_fourbit_gemv_variants_cuda_bench";
    if (int status = test::start_cuda_program(name, argc, argv); status >= 0) return status;
    int device = 0, major = 0;
    CUDA_OK(cudaGetDevice(&device));
    CUDA_OK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    if (major < 8) {
        printf("%s: skipped, the tensor-core variants need sm_80 or newer\n", name);
        return 0;
    }
    if (!check_variants()) {
        fprintf(stderr, "%s: a variant is wrong, no timings\n", name);
        return 1;
    }
    const int64_t shapes[][2] = {{4096, 4096}, {14336, 4096}, {4096, 14336}, {8192, 28672}, {28672, 8192}};
    for (const auto& s : shapes) bench_shape(s[0], s[1]);
    return 0;
}
