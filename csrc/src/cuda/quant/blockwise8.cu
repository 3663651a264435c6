// 8-bit blockwise quantization on the GPU, bit for bit what cpu/blockwise8.cpp computes.
//
// Both kernels loop over tiles (a grid-stride loop over resident blocks, so each block loads its
// tables once). A tile is a few rows of one 16-byte vector per thread: element v of thread t in row r
// is tile_start + r * kThreads * W + t * W + v, so every load and store of a warp covers one
// contiguous range.
#include <stdint.h>

#include "common/arg_checks.h"
#include "common/quant_search.h"
#include "common/step_table.h"
#include "cuda/entry_points.h"
#include "cuda/quant/launch.cuh"
#include "cuda/quant/vectors.cuh"

namespace bnb {
namespace {

constexpr int kTile = kThreads * kElementsPerThread;
// Dequantization reads only one byte per element: twice the elements per thread keep more loads in
// flight (measured on an H200: about +1%).
constexpr int kDequantElementsPerThread = 32;
constexpr int kDequantTile = kThreads * kDequantElementsPerThread;

// The search of the quantize kernel: quantize_to_code() read off its step table (common/quant_search.h),
// built once per call by build_table_kernel in a scratch buffer, from which every block of
// quantize_kernel copies it.
struct SearchScratch {
    uint32_t entries[QuantizeTable::kEntries];
};

// One entry per thread.
__global__ void __launch_bounds__(kThreads) build_table_kernel(const float* __restrict__ code,
                                                                SearchScratch* __restrict__ scratch) {
    __shared__ float table[256];
    table[threadIdx.x] = code[threadIdx.x];
    __syncthreads();
    const int i = blockIdx.x * kThreads + threadIdx.x;
    if (i < QuantizeTable::kEntries)
        scratch->entries[i] = quantize_table_entry(table, i);
}

// How the quantization blocks of size BS lie on a tile of dtype D.
template <int32_t D, int BS>
struct QuantizeShape {
    static constexpr int W = kVectorWidth<D>;
    static constexpr int kRows = kElementsPerThread / W;
    static constexpr int kRow = kThreads * W;                              // elements in a row
    static constexpr int kRowsPerBlock = BS > kRow ? BS / kRow : 1;        // a block spans rows,
    static constexpr int kGroups = kRows / kRowsPerBlock;                  // or a row holds blocks
    static constexpr int kThreadsPerBlock = BS > kRow ? kThreads : BS / W;
    static constexpr int kLanes = kThreadsPerBlock < 32 ? kThreadsPerBlock : 32;  // shuffle width
    static constexpr int kWarpsPerBlock = kThreadsPerBlock / 32;           // 0 when a warp holds blocks
    // Values searched together: one row (4 for f32, 8 for 16-bit inputs).
    static constexpr int kRowsPerSearch = 1;
    // 16-bit inputs load the next tile while they search this one (two 16-byte vectors per thread), at
    // 4 blocks per SM for the registers that takes (64); f32 (four vectors, which would not fit) runs 6
    // blocks per SM, whose 40 registers the compiler would exceed if left alone. Measured on an H200
    // (bf16, blocksize 4096): no prefetch at 6 blocks 2060-2110 GB/s, prefetch at 5 blocks (48
    // registers, small spills) about 2070-2260, at 4 blocks 2240-2340.
    static constexpr bool kPrefetch = W == 8;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 750
    static constexpr int kMinBlocksPerSm = 4;  // an sm_75 SM holds 1024 threads
#else
    static constexpr int kMinBlocksPerSm = kPrefetch ? 4 : 6;
#endif
    static_assert(kTile % BS == 0 && BS % W == 0, "blocks must tile the tile");
};

template <int32_t D, int BS>
__global__ void __launch_bounds__(kThreads, QuantizeShape<D, BS>::kMinBlocksPerSm)
    quantize_kernel(const SearchScratch* __restrict__ scratch, const float* __restrict__ code,
                    const typename CudaElement<D>::type* __restrict__ a,
                    float* __restrict__ absmax, uint8_t* __restrict__ out, int64_t n, bool aligned) {
    using S = QuantizeShape<D, BS>;
    __shared__ alignas(16) uint32_t entries[QuantizeTable::kEntries];
    __shared__ float table[256];
    __shared__ float warp_max[S::kGroups][kThreads / 32];
    static_assert(QuantizeTable::kEntries % 4 == 0, "the table moves in 16-byte vectors");
    for (int i = threadIdx.x; i < QuantizeTable::kEntries / 4; i += kThreads)
        reinterpret_cast<uint4*>(entries)[i] = __ldg(reinterpret_cast<const uint4*>(scratch->entries) + i);
    table[threadIdx.x] = __ldg(code + threadIdx.x);
    __syncthreads();
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;

    uint4 ahead[S::kPrefetch ? S::kRows : 1];  // the thread's vectors of the next tile, when whole
    auto fetch = [&](int64_t tile) {
        if constexpr (S::kPrefetch) {
            if (!aligned || (tile + 1) * kTile > n) return false;
#pragma unroll
            for (int r = 0; r < S::kRows; ++r)
                ahead[r] = load_raw<D>(a, tile * kTile + threadIdx.x * S::W + r * S::kRow);
            return true;
        } else {
            return false;
        }
    };
    bool fetched = fetch(blockIdx.x);
    for (int64_t tile = blockIdx.x; tile * kTile < n; tile += gridDim.x) {
        const int64_t first = tile * kTile + threadIdx.x * S::W;
        float x[S::kRows][S::W];
#pragma unroll
        for (int r = 0; r < S::kRows; ++r) {
            if (fetched)
                unpack_floats<D>(ahead[S::kPrefetch ? r : 0], x[r]);
            else
                load_floats<D>(a, first + r * S::kRow, n, aligned, x[r]);
        }
        fetched = fetch(tile + gridDim.x);

        // Block maxima (NaN ignored, as fmaxf does): in the thread, across lanes, then across warps.
        float m[S::kGroups];
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g) m[g] = 0.0f;
#pragma unroll
        for (int r = 0; r < S::kRows; ++r)
#pragma unroll
            for (int v = 0; v < S::W; ++v) m[r / S::kRowsPerBlock] = fmaxf(m[r / S::kRowsPerBlock], fabsf(x[r][v]));
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g)
#pragma unroll
            for (int o = S::kLanes / 2; o > 0; o /= 2) m[g] = fmaxf(m[g], __shfl_xor_sync(0xffffffffu, m[g], o));
        if constexpr (S::kWarpsPerBlock > 1) {
            if (lane == 0)
#pragma unroll
                for (int g = 0; g < S::kGroups; ++g) warp_max[g][warp] = m[g];
            __syncthreads();
            const int first_warp = warp - warp % S::kWarpsPerBlock;
#pragma unroll
            for (int g = 0; g < S::kGroups; ++g)
#pragma unroll
                for (int w = 0; w < S::kWarpsPerBlock; ++w) m[g] = fmaxf(m[g], warp_max[g][first_warp + w]);
            __syncthreads();  // the next tile rewrites warp_max
        }

        float scale[S::kGroups];
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g) {
            scale[g] = 1.0f / m[g];  // IEEE division as on the CPU (no fast math); inf for a zero block
            const int64_t start = first + int64_t{g} * S::kRowsPerBlock * S::kRow;
            if (start % BS == 0 && start < n) absmax[start / BS] = m[g];
        }
#pragma unroll
        for (int r0 = 0; r0 < S::kRows; r0 += S::kRowsPerSearch) {
            constexpr int kValues = S::kRowsPerSearch * S::W;
            float y[kValues];
            uint32_t q[kValues];
#pragma unroll
            for (int i = 0; i < kValues; ++i)
                y[i] = x[r0 + i / S::W][i % S::W] * scale[(r0 + i / S::W) / S::kRowsPerBlock];
            step_lookup<QuantizeTable>(entries, y, q, [&](int i) -> uint32_t { return quantize_or_nan(table, y[i]); });
#pragma unroll
            for (int r = r0; r < r0 + S::kRowsPerSearch; ++r) {
                Codes<S::W> codes;
#pragma unroll
                for (int v = 0; v < S::W; ++v) codes.set(v, q[(r - r0) * S::W + v]);
                store_codes(out, first + r * S::kRow, n, aligned, codes);
            }
        }
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    dequantize_kernel(const float* __restrict__ code, const uint8_t* __restrict__ a,
                      const float* __restrict__ absmax, typename CudaElement<D>::type* __restrict__ out,
                      int blocksize_log2, int64_t n, bool aligned) {
    constexpr int W = kVectorWidth<D>;
    constexpr int kRows = kDequantElementsPerThread / W;
    constexpr int kRow = kThreads * W;
    __shared__ float table[256];
    table[threadIdx.x] = code[threadIdx.x];
    __syncthreads();

    for (int64_t tile = blockIdx.x; tile * kDequantTile < n; tile += gridDim.x) {
        const int64_t first = tile * kDequantTile + threadIdx.x * W;
        Codes<W> q[kRows];
        float scale[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            // A vector never straddles two blocks: blocksizes are multiples of 64 on CUDA.
            const int64_t i = first + r * kRow;
            q[r] = load_codes<W>(a, i, n, aligned);
            scale[r] = i < n ? __ldg(absmax + (i >> blocksize_log2)) : 0.0f;
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            float y[W];
#pragma unroll
            for (int v = 0; v < W; ++v) y[v] = table[q[r].get(v)] * scale[r];
            store_floats<D>(out, first + r * kRow, n, aligned, y);
        }
    }
}

template <int32_t D, int BS>
bnb_status launch_quantize(const float* code, const void* A, float* absmax, uint8_t* out, int64_t n,
                           SearchScratch* scratch, cudaStream_t stream) {
    build_table_kernel<<<(QuantizeTable::kEntries + kThreads - 1) / kThreads, kThreads, 0, stream>>>(code, scratch);
    BNB_CUDA_CHECK_LAUNCH("build_table_kernel");
    auto kernel = quantize_kernel<D, BS>;
    unsigned grid = 0;
    BNB_TRY(resident_grid(kernel, (n - 1) / kTile + 1, &grid));
    const bool aligned = reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(out) % kVectorWidth<D> == 0;
    kernel<<<grid, kThreads, 0, stream>>>(scratch, code, static_cast<const typename CudaElement<D>::type*>(A), absmax,
                                          out, n, aligned);
    BNB_CUDA_CHECK_LAUNCH("quantize_kernel");
    return BNB_OK;
}

template <int32_t D>
bnb_status launch_dequantize(const float* code, const uint8_t* A, const float* absmax, void* out,
                             int blocksize_log2, int64_t n, cudaStream_t stream) {
    auto kernel = dequantize_kernel<D>;
    unsigned grid = 0;
    BNB_TRY(resident_grid(kernel, (n - 1) / kDequantTile + 1, &grid));
    const bool aligned = reinterpret_cast<uintptr_t>(A) % kVectorWidth<D> == 0 &&
                         reinterpret_cast<uintptr_t>(out) % 16 == 0;
    kernel<<<grid, kThreads, 0, stream>>>(code, A, absmax, static_cast<typename CudaElement<D>::type*>(out),
                                          blocksize_log2, n, aligned);
    BNB_CUDA_CHECK_LAUNCH("dequantize_kernel");
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_quantize_blockwise(int32_t dtype, const float* code, int64_t code_len, const void* A,
                                            float* absmax, int64_t absmax_len, uint8_t* out, int64_t blocksize,
                                            int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_quantize_blockwise";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto dtype_tag) {
            return bnb::dispatch_blocksize(function, blocksize, [&](auto bs) -> bnb_status {
                BNB_CHECK_COUNT(n);
                BNB_CHECK_BLOCKWISE_SIZES(code_len, absmax_len, blocksize, n);
                BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out);
                // The search tables live in a scratch buffer for the length of the call; stream-ordered
                // allocation, so the host never waits.
                cudaStream_t s = static_cast<cudaStream_t>(stream);
                bnb::SearchScratch* scratch = nullptr;
                BNB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&scratch), sizeof(bnb::SearchScratch), s));
                bnb_status status = bnb::launch_quantize<decltype(dtype_tag)::value, decltype(bs)::value>(
                    code, A, absmax, out, n, scratch, s);
                cudaError_t freed = cudaFreeAsync(scratch, s);  // also after a failed launch
                BNB_TRY(status);
                if (freed != cudaSuccess)
                    return bnb::cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(scratch, s)");
                return BNB_OK;
            });
        });
    });
}

bnb_status bnbk_bnb_cuda_dequantize_blockwise(int32_t dtype, const float* code, int64_t code_len, const uint8_t* A,
                                              const float* absmax, int64_t absmax_len, void* out, int64_t blocksize,
                                              int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_dequantize_blockwise";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto dtype_tag) {
            return bnb::dispatch_blocksize(function, blocksize, [&](auto bs) -> bnb_status {
                BNB_CHECK_COUNT(n);
                BNB_CHECK_BLOCKWISE_SIZES(code_len, absmax_len, blocksize, n);
                BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out);
                return bnb::launch_dequantize<decltype(dtype_tag)::value>(
                    code, A, absmax, out, __builtin_ctz(decltype(bs)::value), n, static_cast<cudaStream_t>(stream));
            });
        });
    });
}
