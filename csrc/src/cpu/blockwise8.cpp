// 8-bit blockwise quantization on the host, bit for bit what the CUDA kernels compute.
#include <math.h>

#include <algorithm>

#include "common/arg_checks.h"
#include "common/quant_search.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// Threads pay off from about this many elements.
constexpr int64_t kElementsPerThread = int64_t{1} << 16;

int64_t blocks_per_thread(int64_t blocksize) { return std::max<int64_t>(1, kElementsPerThread / blocksize); }

template <int32_t D>
void quantize_blocks(const float* code, const typename bnb::CpuElement<D>::type* a, float* absmax, uint8_t* out,
                     int64_t blocksize, int64_t n, int64_t first_block, int64_t last_block) {
    using E = bnb::CpuElement<D>;
    for (int64_t b = first_block; b < last_block; ++b) {
        int64_t begin = b * blocksize;
        int64_t end = std::min(n, begin + blocksize);
        float max_abs = 0.0f;
        for (int64_t i = begin; i < end; ++i) max_abs = fmaxf(max_abs, fabsf(E::load(a[i])));  // NaN ignored
        absmax[b] = max_abs;
        float scale = 1.0f / max_abs;  // an all-zero block gives inf, then NaN, then index 0
        for (int64_t i = begin; i < end; ++i) out[i] = bnb::quantize_to_code(code, E::load(a[i]) * scale);
    }
}

template <int32_t D>
void dequantize_blocks(const float* code, const uint8_t* a, const float* absmax, typename bnb::CpuElement<D>::type* out,
                       int64_t blocksize, int64_t n, int64_t first_block, int64_t last_block) {
    using E = bnb::CpuElement<D>;
    for (int64_t b = first_block; b < last_block; ++b) {
        int64_t begin = b * blocksize;
        int64_t end = std::min(n, begin + blocksize);
        float scale = absmax[b];
        for (int64_t i = begin; i < end; ++i) out[i] = E::store(code[a[i]] * scale);
    }
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_quantize_blockwise(int32_t dtype, const float* code, int64_t code_len,
                                                         const void* A, float* absmax, int64_t absmax_len,
                                                         uint8_t* out, int64_t blocksize, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_quantize_blockwise", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_ARG(blocksize >= 1, "blocksize must be >= 1, got %lld", static_cast<long long>(blocksize));
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BLOCKWISE_SIZES(code_len, absmax_len, blocksize, n);
            BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out);
            auto a = static_cast<const typename bnb::CpuElement<D>::type*>(A);
            bnb::parallel_for((n - 1) / blocksize + 1, blocks_per_thread(blocksize), [&](int64_t first, int64_t last) {
                quantize_blocks<D>(code, a, absmax, out, blocksize, n, first, last);
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_dequantize_blockwise(int32_t dtype, const float* code, int64_t code_len,
                                                           const uint8_t* A, const float* absmax,
                                                           int64_t absmax_len, void* out, int64_t blocksize,
                                                           int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_dequantize_blockwise", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_ARG(blocksize >= 1, "blocksize must be >= 1, got %lld", static_cast<long long>(blocksize));
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BLOCKWISE_SIZES(code_len, absmax_len, blocksize, n);
            BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out);
            auto o = static_cast<typename bnb::CpuElement<D>::type*>(out);
            bnb::parallel_for((n - 1) / blocksize + 1, blocks_per_thread(blocksize), [&](int64_t first, int64_t last) {
                dequantize_blocks<D>(code, A, absmax, o, blocksize, n, first, last);
            });
            return BNB_OK;
        });
    });
}
