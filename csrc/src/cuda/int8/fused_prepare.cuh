// The first kernel of the fused LLM.int8() product for few rows (fused_matmul.cu): the row-wise
// quantization of A, bit for bit what vectorwise_quant.cu computes, and with a threshold the sorted outlier
// columns, all in one launch and with no memory to clear first.
//
// One block per row. With a threshold each block flags its outlier columns in the caller's zeroed state
// (outlier_state[2 + c] = 1), and the block that finishes last (a counter in outlier_state[0], the pattern of
// CUDA's threadFenceReduction sample) compacts the flags into the ascending list, zeroes those columns of
// every row's codes, and clears the flags and the counter again, so the next call finds them zero.
#pragma once

#include <stdint.h>

#include "common/int8_math.h"
#include "cuda/elements.cuh"
#include "cuda/int8/launch.cuh"

namespace bnb {

constexpr int kPrepareThreads = 256;
constexpr int kPrepareFlagsPerThread = 8;  // consecutive flags per thread and round of the compaction

// Calls f(c, x) for every element of a row of K elements: 16-byte vectors when vec (K a multiple of the
// vector width, the row 16-byte aligned), else single elements.
template <int32_t D, typename F>
__device__ void for_each_row_element(const typename CudaElement<D>::type* row, int64_t K, bool vec, F f) {
    constexpr int W = kVectorWidth<D>;
    if (vec) {
        const uint4* v = reinterpret_cast<const uint4*>(row);
        for (int64_t i = threadIdx.x; i < K / W; i += kPrepareThreads) {
            float x[W];
            unpack_floats<D>(__ldg(v + i), x);
#pragma unroll
            for (int e = 0; e < W; ++e) f(i * W + e, x[e]);
        }
    } else {
        for (int64_t c = threadIdx.x; c < K; c += kPrepareThreads) f(c, CudaElement<D>::to_float(row[c]));
    }
}

// Run by the last block only: flags -> ascending list and count, outlier columns of codes zeroed, flags and
// counter cleared. Flags written by other blocks are read through L2 (__ldcg).
__device__ inline void finish_outliers(int32_t* state, int64_t K, int8_t* codes, int64_t rows) {
    __shared__ int scan[32];
    int32_t* flags = state + 2;
    int32_t* list = state + 2 + K;
    int64_t found = 0;
    for (int64_t start = 0; start < K; start += int64_t{kPrepareThreads} * kPrepareFlagsPerThread) {
        const int64_t first = start + int64_t{threadIdx.x} * kPrepareFlagsPerThread;
        unsigned bits = 0;
#pragma unroll
        for (int k = 0; k < kPrepareFlagsPerThread; ++k)
            if (first + k < K && __ldcg(flags + first + k) != 0) bits |= 1u << k;
        int total = 0;
        int64_t j = found + block_exclusive_sum<kPrepareThreads>(__popc(bits), scan, &total);
        for (; bits != 0; bits &= bits - 1u) list[j++] = static_cast<int32_t>(first + __ffs(bits) - 1);
        found += total;
    }
    __syncthreads();  // the list is visible to the whole block
    if (threadIdx.x == 0) {
        state[0] = 0;
        state[1] = static_cast<int32_t>(found);
    }
    for (int64_t i = threadIdx.x; i < rows * found; i += kPrepareThreads) {
        const int64_t r = i / found;
        codes[r * K + list[i - r * found]] = 0;
    }
    for (int64_t j = threadIdx.x; j < found; j += kPrepareThreads) flags[list[j]] = 0;
}

template <int32_t D, bool kSparse>
__global__ void __launch_bounds__(kPrepareThreads)
    fused_prepare_kernel(const typename CudaElement<D>::type* __restrict__ a, int64_t K, bool vec, float threshold,
                         int8_t* __restrict__ codes, float* __restrict__ row_stats, int32_t* state) {
    __shared__ float scratch[kPrepareThreads / 32];
    __shared__ bool last;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;\n");  // the product kernel may launch now (it waits for us)
#endif
    const int64_t r = blockIdx.x;
    const auto* row = a + r * K;
    int32_t* flags = state + 2;  // only dereferenced with kSparse
    float absmax = 0.0f;
    for_each_row_element<D>(row, K, vec, [&](int64_t c, float x) {
        const float ax = fabsf(x);
        if (kSparse && int8_is_outlier(ax, threshold))
            flags[c] = 1;  // every writer writes the same value
        else
            absmax = fmaxf(absmax, ax);
    });
    absmax = block_max<kPrepareThreads>(absmax, scratch);
    if (threadIdx.x == 0) row_stats[r] = absmax;
    const float scale = int8_scale(absmax);
    int8_t* out = codes + r * K;
    for_each_row_element<D>(row, K, vec, [&](int64_t c, float x) {
        out[c] = kSparse && int8_is_outlier(fabsf(x), threshold) ? 0 : int8_code(x * scale);
    });
    if constexpr (kSparse) {
        __threadfence();  // this block's flags and codes are visible device-wide before it counts itself
        __syncthreads();
        if (threadIdx.x == 0) last = atomicAdd(reinterpret_cast<unsigned*>(state), 1u) == gridDim.x - 1;
        __syncthreads();
        if (last) finish_outliers(state, K, codes, gridDim.x);
    }
}

}  // namespace bnb
