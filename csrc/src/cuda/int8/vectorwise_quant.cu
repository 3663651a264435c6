// LLM.int8() row-wise quantization on the GPU, bit for bit what cpu/int8_quant.cpp computes.
//
// One block per row (a grid-stride loop over rows): each thread reads its 16-byte vectors of the row,
// keeping up to kCached of them in registers, the block reduces the row's absmax with shuffles, and the
// thread writes the codes of the vectors it holds (re-reading any beyond kCached, from L1/L2). Rows that
// are not whole vectors (cols not a multiple of the vector width, or an unaligned pointer) go through a
// kernel of single elements. With a threshold, outliers set a byte per column in a scratch mask; one
// block then compacts the mask into the sorted outlier list, and a last kernel zeroes those columns.
#include <stdint.h>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cuda/entry_points.h"
#include "cuda/int8/launch.cuh"
#include "cuda/quant/vectors.cuh"

namespace bnb {
namespace {

constexpr int kCached = 4;            // 16-byte vectors per thread kept between the two passes
constexpr int kElementThreads = 256;  // per block of the single-element kernel
constexpr int kCompactThreads = 1024;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int32_t D, int T, bool kSparse>
__global__ void __launch_bounds__(T)
    quantize_vectors_kernel(const Elem<D>* __restrict__ a, int64_t rows, int64_t cols, float threshold,
                            int8_t* __restrict__ codes, float* __restrict__ row_stats, uint8_t* __restrict__ outlier) {
    constexpr int W = kVectorWidth<D>;
    __shared__ float scratch[T / 32];
    const int64_t vectors = cols / W;
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const uint4* row = reinterpret_cast<const uint4*>(a + r * cols);
        float absmax = 0.0f;
        auto scan = [&](uint4 raw, int64_t v) {
            float x[W];
            unpack_floats<D>(raw, x);
#pragma unroll
            for (int k = 0; k < W; ++k) {
                const float ax = fabsf(x[k]);
                if (kSparse && int8_is_outlier(ax, threshold))
                    outlier[v * W + k] = 1;  // rare; every writer writes the same byte
                else
                    absmax = fmaxf(absmax, ax);
            }
        };
        uint4 cached[kCached];
#pragma unroll
        for (int i = 0; i < kCached; ++i) {
            const int64_t v = threadIdx.x + int64_t{i} * T;
            if (v < vectors) {
                cached[i] = __ldcs(row + v);  // read once
                scan(cached[i], v);
            }
        }
        for (int64_t v = threadIdx.x + int64_t{kCached} * T; v < vectors; v += T) scan(__ldg(row + v), v);

        absmax = block_max<T>(absmax, scratch);
        if (threadIdx.x == 0) row_stats[r] = absmax;
        const float scale = int8_scale(absmax);
        int8_t* out = codes + r * cols;
        auto quantize = [&](uint4 raw, int64_t v) {
            float x[W];
            unpack_floats<D>(raw, x);
            Codes<W> q;
#pragma unroll
            for (int k = 0; k < W; ++k) {
                const bool zero = kSparse && int8_is_outlier(fabsf(x[k]), threshold);
                q.set(k, static_cast<uint8_t>(zero ? 0 : int8_code(x[k] * scale)));
            }
            store_codes(reinterpret_cast<uint8_t*>(out), v * W, cols, true, q);
        };
#pragma unroll
        for (int i = 0; i < kCached; ++i) {
            const int64_t v = threadIdx.x + int64_t{i} * T;
            if (v < vectors) quantize(cached[i], v);
        }
        for (int64_t v = threadIdx.x + int64_t{kCached} * T; v < vectors; v += T) quantize(__ldcs(row + v), v);
    }
}

template <int32_t D, bool kSparse>
__global__ void __launch_bounds__(kElementThreads)
    quantize_elements_kernel(const Elem<D>* __restrict__ a, int64_t rows, int64_t cols, float threshold,
                             int8_t* __restrict__ codes, float* __restrict__ row_stats, uint8_t* __restrict__ outlier) {
    using E = CudaElement<D>;
    __shared__ float scratch[kElementThreads / 32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<D>* row = a + r * cols;
        float absmax = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += kElementThreads) {
            const float ax = fabsf(E::to_float(row[c]));
            if (kSparse && int8_is_outlier(ax, threshold))
                outlier[c] = 1;
            else
                absmax = fmaxf(absmax, ax);
        }
        absmax = block_max<kElementThreads>(absmax, scratch);
        if (threadIdx.x == 0) row_stats[r] = absmax;
        const float scale = int8_scale(absmax);
        for (int64_t c = threadIdx.x; c < cols; c += kElementThreads) {
            const float x = E::to_float(row[c]);
            codes[r * cols + c] = kSparse && int8_is_outlier(fabsf(x), threshold) ? 0 : int8_code(x * scale);
        }
    }
}

// outlier_cols[0 .. *n_outliers) = the columns c with outlier[c] != 0, ascending. One block.
__global__ void __launch_bounds__(kCompactThreads)
    compact_kernel(const uint8_t* __restrict__ outlier, int64_t cols, int64_t* __restrict__ outlier_cols,
                   int64_t* __restrict__ n_outliers) {
    __shared__ int warp_counts[kCompactThreads / 32];
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    int64_t base = 0;
    for (int64_t start = 0; start < cols; start += kCompactThreads) {
        const int64_t c = start + threadIdx.x;
        const bool flag = c < cols && outlier[c] != 0;
        const unsigned ballot = __ballot_sync(0xffffffffu, flag);
        if (lane == 0) warp_counts[warp] = __popc(ballot);
        __syncthreads();
        int before = 0, total = 0;
        for (int w = 0; w < kCompactThreads / 32; ++w) {
            before += w < warp ? warp_counts[w] : 0;
            total += warp_counts[w];
        }
        if (flag) outlier_cols[base + before + __popc(ballot & ((1u << lane) - 1u))] = c;
        base += total;
        __syncthreads();  // warp_counts is rewritten next round
    }
    if (threadIdx.x == 0) *n_outliers = base;
}

__global__ void __launch_bounds__(kElementThreads)
    zero_columns_kernel(int8_t* __restrict__ codes, int64_t rows, int64_t cols,
                        const int64_t* __restrict__ outlier_cols, const int64_t* __restrict__ n_outliers) {
    const int64_t n = *n_outliers;
    const int64_t total = rows * n;
    for (int64_t i = blockIdx.x * int64_t{kElementThreads} + threadIdx.x; i < total;
         i += int64_t{gridDim.x} * kElementThreads) {
        const int64_t r = i / n;
        codes[r * cols + outlier_cols[i - r * n]] = 0;
    }
}

// Launches the quantization of rows: vectors when every row is whole aligned vectors, with the fewest
// threads that hold a row in registers (kCached vectors each), else single elements.
template <int32_t D, bool kSparse>
bnb_status launch_quantize(const void* A, int64_t rows, int64_t cols, float threshold, int8_t* codes,
                           float* row_stats, uint8_t* outlier, cudaStream_t stream) {
    constexpr int W = kVectorWidth<D>;
    const auto* a = static_cast<const Elem<D>*>(A);
    const bool aligned = cols % W == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(codes) % W == 0;
    int64_t blocks = 0;
    auto run = [&](auto kernel, int threads) -> bnb_status {
        BNB_TRY(int8_resident_blocks(kernel, threads, rows, &blocks));
        kernel<<<static_cast<unsigned>(blocks), threads, 0, stream>>>(a, rows, cols, threshold, codes, row_stats,
                                                                      outlier);
        BNB_CUDA_CHECK_LAUNCH("int8 quantize kernel");
        return BNB_OK;
    };
    if (!aligned) return run(quantize_elements_kernel<D, kSparse>, kElementThreads);
    const int64_t vectors = cols / W;
    if (vectors <= 128 * kCached) return run(quantize_vectors_kernel<D, 128, kSparse>, 128);
    if (vectors <= 256 * kCached) return run(quantize_vectors_kernel<D, 256, kSparse>, 256);
    if (vectors <= 512 * kCached) return run(quantize_vectors_kernel<D, 512, kSparse>, 512);
    return run(quantize_vectors_kernel<D, 1024, kSparse>, 1024);
}

template <int32_t D>
bnb_status quantize_sparse(const void* A, int64_t rows, int64_t cols, float threshold, int8_t* codes,
                           float* row_stats, int64_t* outlier_cols, int64_t* n_outliers, cudaStream_t stream) {
    uint8_t* outlier = nullptr;
    BNB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&outlier), cols, stream));
    auto steps = [&]() -> bnb_status {
        BNB_CUDA_CHECK(cudaMemsetAsync(outlier, 0, cols, stream));
        BNB_TRY((launch_quantize<D, true>(A, rows, cols, threshold, codes, row_stats, outlier, stream)));
        compact_kernel<<<1, kCompactThreads, 0, stream>>>(outlier, cols, outlier_cols, n_outliers);
        BNB_CUDA_CHECK_LAUNCH("compact_kernel");
        int64_t blocks = 0;
        BNB_TRY(int8_resident_blocks(zero_columns_kernel, kElementThreads, rows, &blocks));
        zero_columns_kernel<<<static_cast<unsigned>(blocks), kElementThreads, 0, stream>>>(codes, rows, cols,
                                                                                         outlier_cols, n_outliers);
        BNB_CUDA_CHECK_LAUNCH("zero_columns_kernel");
        return BNB_OK;
    };
    const bnb_status status = steps();
    const cudaError_t freed = cudaFreeAsync(outlier, stream);  // also after a failed step
    BNB_TRY(status);
    if (freed != cudaSuccess) return cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(outlier, stream)");
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_int8_vectorwise_quant(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                               float threshold, int8_t* codes, float* row_stats,
                                               int64_t* outlier_cols, int64_t* n_outliers, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_vectorwise_quant", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_THRESHOLD(threshold);
            const bool sparse = threshold > 0.0f;
            if (sparse) {
                BNB_CHECK_NOT_NULL(outlier_cols);
                BNB_CHECK_NOT_NULL(n_outliers);
            }
            if (rows > 0 && cols > 0) {
                BNB_CHECK_NOT_NULL(A);
                BNB_CHECK_NOT_NULL(codes);
            }
            if (rows > 0) BNB_CHECK_NOT_NULL(row_stats);
            cudaStream_t s = static_cast<cudaStream_t>(stream);
            if (rows == 0 || cols == 0) {
                // No values: no outliers, and a row of no values has absmax 0.
                if (sparse) BNB_CUDA_CHECK(cudaMemsetAsync(n_outliers, 0, sizeof(int64_t), s));
                if (rows > 0) BNB_CUDA_CHECK(cudaMemsetAsync(row_stats, 0, rows * sizeof(float), s));
                return BNB_OK;
            }
            if (sparse)
                return bnb::quantize_sparse<D>(A, rows, cols, threshold, codes, row_stats, outlier_cols, n_outliers,
                                               s);
            return bnb::launch_quantize<D, false>(A, rows, cols, threshold, codes, row_stats, nullptr, s);
        });
    });
}
