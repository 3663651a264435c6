// Quantile estimation on the GPU, bit for bit what cpu/quantiles.cpp computes (bnb/quantiles.h).
//
// pick_kernel: one block per chunk sorts the chunk's 4096 order-preserving keys with cub::BlockRadixSort
// (16 per thread, in registers and shared memory; 16-bit inputs sort 16-bit keys) and writes its 256 picks.
// f32 keys are sorted by their high bits only and each pick is then selected among the keys that share them.
// group_sum_kernel: one block per group of BNB_QUANTILE_GROUP chunks adds their picks in chunk order, in double.
// mean_kernel: adds the group sums in group order, divides by the chunk count and writes the selected means.
// The sums are deterministic and follow the CPU's order, so the two backends agree to the bit.
#include <cuda_fp16.h>
#include <stdint.h>

#include <cub/block/block_radix_sort.cuh>

#include "common/arg_checks.h"
#include "common/dtype_dispatch.h"
#include "common/quantile_plan.h"
#include "common/quantile_select.h"
#include "cuda/cuda_check.h"
#include "cuda/entry_points.h"

namespace bnb {
namespace {

constexpr int kSortThreads = 256;
constexpr int kKeysPerThread = kQuantileChunk / kSortThreads;
// Digit bits per radix pass (template argument of pick_kernel): 16-bit keys take 4 passes of 4 bits; 32-bit keys
// up to 5 bits (6 bits, cub's choice for its single-tile sorts, needs 100 registers: 2 blocks per SM; 5 bits fit
// 80 registers without spills, 3 blocks per SM, with 17 KB of shared memory each).
constexpr int kSortBlocksPerSm = 3;
static_assert(kSortThreads == kQuantiles, "one thread per pick");

// Passed by value: the pick positions of the plan.
struct Positions {
    int16_t p[kQuantiles];
};

// The float value of a sorted key.
template <int32_t D>
__device__ float key_value(typename QuantileKey<D>::type key) {
    const auto bits = QuantileKey<D>::bits(key);
    if constexpr (D == BNB_F32) return __uint_as_float(bits);
    if constexpr (D == BNB_F16) return __half2float(__ushort_as_half(bits));
    if constexpr (D == BNB_BF16) return __uint_as_float(static_cast<uint32_t>(bits) << 16);
}

// The keys of chunk blockIdx.x in any arrangement (the sort does not care): 16-byte vectors when the chunk
// is whole and aligned, else element by element with +max keys (the NaN key) beyond valid, never picked.
template <int32_t D, bool kVectors>
__device__ void load_keys(const typename QuantileKey<D>::type* __restrict__ chunk, int valid,
                          typename QuantileKey<D>::type (&keys)[kKeysPerThread]) {
    using Key = QuantileKey<D>;
    using K = typename Key::type;
    if constexpr (kVectors) {
        constexpr int W = 16 / sizeof(K);  // keys per vector
        const uint4* vectors = reinterpret_cast<const uint4*>(chunk);
#pragma unroll
        for (int v = 0; v < kKeysPerThread / W; ++v) {
            uint4 raw = __ldcs(vectors + v * kSortThreads + threadIdx.x);  // read once: evict first
            K elements[W];
            memcpy(elements, &raw, sizeof raw);
#pragma unroll
            for (int e = 0; e < W; ++e) keys[v * W + e] = Key::key(elements[e]);
        }
    } else {
#pragma unroll
        for (int k = 0; k < kKeysPerThread; ++k) {
            const int i = k * kSortThreads + threadIdx.x;
            keys[k] = i < valid ? Key::key(chunk[i]) : static_cast<K>(~K{0});
        }
    }
}

// kFrom = 0: the chunk is sorted by all key bits with kBits-bit digits. kFrom > 0: sorted by the bits from kFrom
// up only (fewer passes), then each pick is selected inside its run of equal high bits (select_in_run); if any
// run is too long (data in a narrow range), the block sorts all bits after all.
template <int32_t D, bool kVectors, int kBits, int kFrom>
__global__ void __launch_bounds__(kSortThreads, kSortBlocksPerSm)
    pick_kernel(const typename QuantileKey<D>::type* __restrict__ a, int valid, Positions positions,
                float* __restrict__ picks) {
    using K = typename QuantileKey<D>::type;
    using Sort = cub::BlockRadixSort<K, kSortThreads, kKeysPerThread, cub::NullType, kBits>;
    constexpr int kKeyBits = 8 * sizeof(K);
    __shared__ union {
        typename Sort::TempStorage sort;
        K sorted[kQuantileChunk];
    } smem;
    const int64_t chunk = blockIdx.x;
    K keys[kKeysPerThread];
    load_keys<D, kVectors>(a + chunk * kQuantileChunk, valid, keys);
    auto sort_and_store = [&](int from) {
        Sort(smem.sort).SortBlockedToStriped(keys, from, kKeyBits);
        __syncthreads();  // the sort's storage becomes the sorted chunk
#pragma unroll
        for (int k = 0; k < kKeysPerThread; ++k) smem.sorted[k * kSortThreads + threadIdx.x] = keys[k];
        __syncthreads();
    };
    sort_and_store(kFrom);
    const int p = positions.p[threadIdx.x];
    K picked = smem.sorted[p];
    if constexpr (kFrom > 0) {
        const bool selected = select_in_run<kFrom>(smem.sorted, valid, p, &picked);
        if (__syncthreads_or(!selected)) {
#pragma unroll
            for (int k = 0; k < kKeysPerThread; ++k) keys[k] = smem.sorted[k * kSortThreads + threadIdx.x];
            __syncthreads();  // every key read before the sort's storage is reused
            sort_and_store(0);
            picked = smem.sorted[p];
        }
    }
    picks[chunk * kQuantiles + threadIdx.x] = key_value<D>(picked);
}

// sums[g][i] = the picks of quantile i from the chunks of group g, in chunk order from +0.0.
__global__ void __launch_bounds__(kQuantiles)
    group_sum_kernel(const float* __restrict__ picks, int64_t chunks, double* __restrict__ sums) {
    const int64_t first = blockIdx.x * kQuantileGroup;
    const int64_t last = first + kQuantileGroup < chunks ? first + kQuantileGroup : chunks;
    double s = 0.0;
    for (int64_t c = first; c < last; ++c) s += static_cast<double>(picks[c * kQuantiles + threadIdx.x]);
    sums[blockIdx.x * kQuantiles + threadIdx.x] = s;
}

// out[j] = (float)((sum over groups in order of sums[g][sel_j]) / chunks).
__global__ void __launch_bounds__(kQuantiles)
    mean_kernel(const double* __restrict__ sums, int64_t groups, int64_t chunks, int num_quantiles,
                float* __restrict__ out) {
    __shared__ float means[kQuantiles];
    double total = 0.0;
    for (int64_t g = 0; g < groups; ++g) total += sums[g * kQuantiles + threadIdx.x];
    means[threadIdx.x] = static_cast<float>(total / static_cast<double>(chunks));
    __syncthreads();
    const int j = threadIdx.x;
    if (j < num_quantiles) out[j] = means[num_quantiles == 1 ? 0 : (kQuantiles - 1) * j / (num_quantiles - 1)];
}

template <int32_t D, int kBits, int kFrom>
bnb_status launch_picks(const void* A, const QuantilePlan& plan, float* picks, cudaStream_t stream) {
    using K = typename QuantileKey<D>::type;
    Positions positions;
    for (int i = 0; i < kQuantiles; ++i) positions.p[i] = plan.positions[i];
    const K* a = static_cast<const K*>(A);
    const bool vectors = plan.valid == kQuantileChunk && reinterpret_cast<uintptr_t>(A) % 16 == 0;
    const dim3 grid(static_cast<unsigned>(plan.chunks));
    if (vectors)
        pick_kernel<D, true, kBits, kFrom><<<grid, kSortThreads, 0, stream>>>(a, plan.valid, positions, picks);
    else
        pick_kernel<D, false, kBits, kFrom><<<grid, kSortThreads, 0, stream>>>(a, plan.valid, positions, picks);
    BNB_CUDA_CHECK_LAUNCH("pick_kernel");
    return BNB_OK;
}

// 16-bit keys: a full sort in 4 passes of 4 bits. f32 keys: the top 20 bits in 4 passes of 5 bits, then a
// selection inside runs, and a full sort (7 passes) only in the blocks with a run too long. On the H200 this beat
// sorting all 32 bits and sorting the top 16 (docs/DECISIONS.md, quant4-perf).
template <int32_t D>
bnb_status launch_picks(const void* A, const QuantilePlan& plan, float* picks, cudaStream_t stream) {
    if constexpr (D != BNB_F32)
        return launch_picks<D, 4, 0>(A, plan, picks, stream);
    else
        return launch_picks<D, 5, 12>(A, plan, picks, stream);
}

bnb_status launch_sums(const QuantilePlan& plan, const float* picks, double* sums, float* out, cudaStream_t stream) {
    group_sum_kernel<<<static_cast<unsigned>(plan.groups()), kQuantiles, 0, stream>>>(picks, plan.chunks, sums);
    BNB_CUDA_CHECK_LAUNCH("group_sum_kernel");
    mean_kernel<<<1, kQuantiles, 0, stream>>>(sums, plan.groups(), plan.chunks, plan.num_quantiles, out);
    BNB_CUDA_CHECK_LAUNCH("mean_kernel");
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_estimate_quantiles(int32_t dtype, const void* A, float* out, float offset,
                                            int32_t num_quantiles, int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_estimate_quantiles", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_QUANTILE_ARGS(A, out, offset, num_quantiles, n);
            const bnb::QuantilePlan plan = bnb::make_quantile_plan(n, offset, num_quantiles);
            BNB_CHECK_ARG(plan.chunks <= INT32_MAX, "n must be < 2^43 on CUDA (one block per chunk), got %lld",
                          static_cast<long long>(n));
            // Picks (f32) then group sums (f64) in one stream-ordered scratch buffer: the host never waits.
            const size_t pick_bytes = static_cast<size_t>(plan.chunks) * bnb::kQuantiles * sizeof(float);
            const size_t sums_offset = (pick_bytes + 255) / 256 * 256;
            const size_t bytes = sums_offset + static_cast<size_t>(plan.groups()) * bnb::kQuantiles * sizeof(double);
            cudaStream_t s = static_cast<cudaStream_t>(stream);
            char* scratch = nullptr;
            BNB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&scratch), bytes, s));
            float* picks = reinterpret_cast<float*>(scratch);
            double* sums = reinterpret_cast<double*>(scratch + sums_offset);
            bnb_status status = bnb::launch_picks<decltype(tag)::value>(A, plan, picks, s);
            if (status == BNB_OK) status = bnb::launch_sums(plan, picks, sums, out, s);
            cudaError_t freed = cudaFreeAsync(scratch, s);  // also after a failed launch
            BNB_TRY(status);
            if (freed != cudaSuccess) return bnb::cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(scratch, s)");
            return BNB_OK;
        });
    });
}
