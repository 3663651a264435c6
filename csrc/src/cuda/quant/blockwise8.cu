// 8-bit blockwise quantization on the GPU, bit for bit what cpu/blockwise8.cpp computes.
//
// Both kernels loop over tiles (a grid-stride loop over resident blocks, so each block loads its
// tables once). A tile is a few rows of one 16-byte vector per thread: element v of thread t in row r
// is tile_start + r * kThreads * W + t * W + v, so every load and store of a warp covers one
// contiguous range.
#include <stdint.h>

#include "common/arg_checks.h"
#include "common/code_thresholds.h"
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

// The tables of the search (see common/code_thresholds.h), built once per call by
// build_tables_kernel in a scratch buffer, from which every block of quantize_kernel copies them.
struct SearchScratch {
    uint8_t floors[kBuckets];
    float thresholds[264];  // T[0..254], then NaN
};

constexpr int kFloorBlocks = kBuckets / kThreads;
constexpr int kWarps = kThreads / 32;
constexpr int kThresholdBlocks = (kThresholds + 1 + kWarps - 1) / kWarps;  // a warp per T[j], j <= 255

// Blocks [0, kFloorBlocks): one bucket floor per thread. The others: one threshold per warp, found by
// code_threshold()'s 32-way bisection with a lane per probe (7 steps instead of 32).
__global__ void __launch_bounds__(kThreads) build_tables_kernel(const float* __restrict__ code,
                                                                 SearchScratch* __restrict__ scratch) {
    __shared__ float table[256];
    table[threadIdx.x] = code[threadIdx.x];
    __syncthreads();
    if (blockIdx.x < kFloorBlocks) {
        const int b = blockIdx.x * kThreads + threadIdx.x;
        scratch->floors[b] = bucket_floor(table, b);
        return;
    }
    const int j = (blockIdx.x - kFloorBlocks) * kWarps + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    float t = NAN;
    if (j < kThresholds && quantize_to_code(table, INFINITY) > j) {  // else no threshold: NaN
        uint32_t lo = ordered_key(-INFINITY), hi = ordered_key(INFINITY);  // R(-inf) = 0 <= j
        while (hi - lo > 1) {  // warp-uniform
            const bool above = quantize_to_code(table, key_float(probe_key(lo, hi, lane))) > j;
            const int first = __ffs(__ballot_sync(0xffffffffu, above)) - 1;  // lane 31 probes hi: >= 0
            const uint32_t new_hi = probe_key(lo, hi, first);
            if (first > 0) lo = probe_key(lo, hi, first - 1);
            hi = new_hi;
        }
        t = key_float(hi);
    }
    if (j <= kThresholds && lane == 0) {
        scratch->thresholds[j] = t;
        if (j == kThresholds) scratch->thresholds[j + 1] = NAN;
    }
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
    // Left alone, the compiler takes more registers than 6 blocks per SM leave on an H200 (40), and the
    // old search lost up to a quarter of its throughput at 4 blocks; the 35 KB of search tables still
    // let 6 blocks share an sm_90 SM (228 KB), but only 4 an sm_80 one (164 KB), where 4 blocks cap it at
    // 64 (40 would spill). Elsewhere (0) the compiler decides.
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900
    static constexpr int kMinBlocksPerSm = 6;
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 800
    static constexpr int kMinBlocksPerSm = 4;
#else
    static constexpr int kMinBlocksPerSm = 0;
#endif
    static_assert(kTile % BS == 0 && BS % W == 0, "blocks must tile the tile");
};

template <int32_t D, int BS>
__global__ void __launch_bounds__(kThreads, QuantizeShape<D, BS>::kMinBlocksPerSm)
    quantize_kernel(const SearchScratch* __restrict__ scratch, const typename CudaElement<D>::type* __restrict__ a,
                    float* __restrict__ absmax, uint8_t* __restrict__ out, int64_t n, bool aligned) {
    using S = QuantizeShape<D, BS>;
    __shared__ alignas(16) uint8_t floors[kBuckets];
    __shared__ ThresholdPair pairs[256];
    __shared__ float warp_max[S::kGroups][kThreads / 32];
    for (int i = threadIdx.x; i < kBuckets / 16; i += kThreads)
        reinterpret_cast<uint4*>(floors)[i] = __ldg(reinterpret_cast<const uint4*>(scratch->floors) + i);
    pairs[threadIdx.x] = {scratch->thresholds[threadIdx.x], scratch->thresholds[threadIdx.x + 1]};
    __syncthreads();
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;

    for (int64_t tile = blockIdx.x; tile * kTile < n; tile += gridDim.x) {
        const int64_t first = tile * kTile + threadIdx.x * S::W;
        float x[S::kRows][S::W];
#pragma unroll
        for (int r = 0; r < S::kRows; ++r) load_floats<D>(a, first + r * S::kRow, n, aligned, x[r]);

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
            int q[kValues];
#pragma unroll
            for (int i = 0; i < kValues; ++i)
                y[i] = x[r0 + i / S::W][i % S::W] * scale[(r0 + i / S::W) / S::kRowsPerBlock];
            bucket_search(floors, pairs, y, q);
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
    build_tables_kernel<<<kFloorBlocks + kThresholdBlocks, kThreads, 0, stream>>>(code, scratch);
    BNB_CUDA_CHECK_LAUNCH("build_tables_kernel");
    auto kernel = quantize_kernel<D, BS>;
    unsigned grid = 0;
    BNB_TRY(resident_grid(kernel, (n - 1) / kTile + 1, &grid));
    const bool aligned = reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(out) % kVectorWidth<D> == 0;
    kernel<<<grid, kThreads, 0, stream>>>(scratch, static_cast<const typename CudaElement<D>::type*>(A), absmax,
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

bnb_status bnbk_bnb_cuda_quantize_blockwise(int32_t dtype, const float* code, const void* A, float* absmax,
                                            uint8_t* out, int64_t blocksize, int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_quantize_blockwise";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto dtype_tag) {
            return bnb::dispatch_blocksize(function, blocksize, [&](auto bs) -> bnb_status {
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(code);
                BNB_CHECK_NOT_NULL(A);
                BNB_CHECK_NOT_NULL(absmax);
                BNB_CHECK_NOT_NULL(out);
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

bnb_status bnbk_bnb_cuda_dequantize_blockwise(int32_t dtype, const float* code, const uint8_t* A,
                                              const float* absmax, void* out, int64_t blocksize, int64_t n,
                                              void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_dequantize_blockwise";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto dtype_tag) {
            return bnb::dispatch_blocksize(function, blocksize, [&](auto bs) -> bnb_status {
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(code);
                BNB_CHECK_NOT_NULL(A);
                BNB_CHECK_NOT_NULL(absmax);
                BNB_CHECK_NOT_NULL(out);
                return bnb::launch_dequantize<decltype(dtype_tag)::value>(
                    code, A, absmax, out, __builtin_ctz(decltype(bs)::value), n, static_cast<cudaStream_t>(stream));
            });
        });
    });
}
