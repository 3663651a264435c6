// LLM.int8() row-wise quantization on the GPU, bit for bit what cpu/int8_quant.cpp computes.
//
// One block per row (a grid-stride loop over rows): each thread reads its 16-byte vectors of the row,
// keeping up to kCached of them in registers, the block reduces the row's absmax with shuffles, and the
// thread writes the codes of the vectors it holds (re-reading any beyond kCached, from L1/L2). Rows that
// are not whole vectors (cols not a multiple of the vector width, or an unaligned pointer) go through a
// kernel of single elements.
//
// With a threshold there is no scratch memory to allocate (an allocation from the stream-ordered pool
// costs tens of microseconds once the pool has been trimmed): the caller's [cols] outlier_cols is
// cleared, the quantize kernel flags column c by writing 1 to outlier_cols[c], and one block compacts
// the flags in place into the sorted list. For a small matrix that block also zeroes the outlier columns
// of the codes (three operations in all); otherwise a last kernel does.
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
constexpr int kCompactColumns = 8;  // consecutive flags per thread and round of compact_kernel
// Up to this many codes, compact_kernel zeroes the outlier columns itself (at most this many stores
// in one block, when every column is an outlier; typically rows * a few).
constexpr int64_t kFusedZeroElements = int64_t{1} << 19;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int32_t D, int T, bool kSparse>
__global__ void __launch_bounds__(T)
    quantize_vectors_kernel(const Elem<D>* __restrict__ a, int64_t rows, int64_t cols, float threshold,
                            int8_t* __restrict__ codes, float* __restrict__ row_stats,
                            int64_t* __restrict__ outlier) {
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
                    outlier[v * W + k] = 1;  // rare; every writer writes the same value
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
                             int8_t* __restrict__ codes, float* __restrict__ row_stats,
                             int64_t* __restrict__ outlier) {
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

// codes[r, outlier_cols[j]] = 0 for the elements i = r * n + j of [rows, n) that this thread visits:
// first, first + stride, ...
__device__ void zero_outlier_columns(int8_t* codes, int64_t rows, int64_t cols, const int64_t* outlier_cols,
                                     int64_t n, int64_t first, int64_t stride) {
    const int64_t total = rows * n;
    for (int64_t i = first; i < total; i += stride) {
        const int64_t r = i / n;
        codes[r * cols + outlier_cols[i - r * n]] = 0;
    }
}

// One block, in place: on entry outlier_cols[c] != 0 flags column c; on exit outlier_cols[0 ..
// *n_outliers) are the flagged columns, ascending (the entries after them are left as they are). A round
// reads all its flags before the barriers of the scan and writes only below its own last column, so no
// flag is overwritten before it is read. With kZero, the block then zeroes those columns of codes.
// outlier_cols is read and written here: no __restrict__, and plain loads (not the read-only cache).
template <bool kZero>
__global__ void __launch_bounds__(kCompactThreads)
    compact_kernel(int64_t* outlier_cols, int64_t cols, int64_t* __restrict__ n_outliers,
                   int8_t* __restrict__ codes, int64_t rows) {
    __shared__ int scratch[32];
    int64_t base = 0;  // columns found in earlier rounds
    for (int64_t start = 0; start < cols; start += int64_t{kCompactThreads} * kCompactColumns) {
        const int64_t first = start + int64_t{threadIdx.x} * kCompactColumns;
        unsigned flags = 0;
#pragma unroll
        for (int k = 0; k < kCompactColumns; ++k)
            if (first + k < cols && outlier_cols[first + k] != 0) flags |= 1u << k;
        int total = 0;
        int64_t j = base + block_exclusive_sum<kCompactThreads>(__popc(flags), scratch, &total);
        for (; flags != 0; flags &= flags - 1u) outlier_cols[j++] = first + __ffs(flags) - 1;
        base += total;
    }
    if (threadIdx.x == 0) *n_outliers = base;
    if constexpr (kZero) {
        __syncthreads();  // the list written by every thread is visible to the block
        zero_outlier_columns(codes, rows, cols, outlier_cols, base, threadIdx.x, kCompactThreads);
    }
}

__global__ void __launch_bounds__(kElementThreads)
    zero_columns_kernel(int8_t* __restrict__ codes, int64_t rows, int64_t cols,
                        const int64_t* __restrict__ outlier_cols, const int64_t* __restrict__ n_outliers) {
    zero_outlier_columns(codes, rows, cols, outlier_cols, *n_outliers,
                         blockIdx.x * int64_t{kElementThreads} + threadIdx.x, int64_t{gridDim.x} * kElementThreads);
}

// Launches the quantization of rows: vectors when every row is whole aligned vectors, with the fewest
// threads that hold a row in registers (kCached vectors each), else single elements.
template <int32_t D, bool kSparse>
bnb_status launch_quantize(const void* A, int64_t rows, int64_t cols, float threshold, int8_t* codes,
                           float* row_stats, int64_t* outlier, cudaStream_t stream) {
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

// Quantizes with a threshold: clear the flags, quantize (flagging), compact (and zero when small), zero.
template <int32_t D>
bnb_status quantize_sparse(const void* A, int64_t rows, int64_t cols, float threshold, int8_t* codes,
                           float* row_stats, int64_t* outlier_cols, int64_t* n_outliers, cudaStream_t stream) {
    BNB_CUDA_CHECK(cudaMemsetAsync(outlier_cols, 0, cols * sizeof(int64_t), stream));
    BNB_TRY((launch_quantize<D, true>(A, rows, cols, threshold, codes, row_stats, outlier_cols, stream)));
    if (rows * cols <= kFusedZeroElements) {
        compact_kernel<true><<<1, kCompactThreads, 0, stream>>>(outlier_cols, cols, n_outliers, codes, rows);
        BNB_CUDA_CHECK_LAUNCH("compact_kernel");
        return BNB_OK;
    }
    compact_kernel<false><<<1, kCompactThreads, 0, stream>>>(outlier_cols, cols, n_outliers, codes, rows);
    BNB_CUDA_CHECK_LAUNCH("compact_kernel");
    int64_t blocks = 0;
    BNB_TRY(int8_resident_blocks(zero_columns_kernel, kElementThreads, rows, &blocks));
    zero_columns_kernel<<<static_cast<unsigned>(blocks), kElementThreads, 0, stream>>>(codes, rows, cols,
                                                                                     outlier_cols, n_outliers);
    BNB_CUDA_CHECK_LAUNCH("zero_columns_kernel");
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
