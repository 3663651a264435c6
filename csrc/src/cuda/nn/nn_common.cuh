// Helpers of the nn kernels (bnb/nn_ops.h): grid sizes, block-wide sums and maxima, the record of the first
// out-of-range index, and 16-bit atomic adds.
#pragma once

#include <stdint.h>

#include <algorithm>

#include "common/arg_checks.h"
#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"

namespace bnb {

constexpr int kNnThreads = 256;

// Blocks for a grid-stride loop over items with kNnThreads threads each (at least 1; a grid-stride loop
// covers the rest beyond the cap).
inline unsigned nn_blocks(int64_t items, int threads = kNnThreads) {
    const int64_t blocks = (items + threads - 1) / threads;
    return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(blocks, int64_t{1} << 20)));
}

// Blocks for one block per row, grid-striding beyond the cap.
inline unsigned nn_row_blocks(int64_t rows) {
    return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(rows, int64_t{1} << 20)));
}

// The sum of v over the block's T threads, in every thread, in a fixed order (the same bits every run).
// scratch holds 32 floats; the function synchronizes twice, so the caller may reuse scratch right after.
template <int T>
__device__ float nn_block_sum(float v, float* scratch) {
#pragma unroll
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    if constexpr (T > 32) {
        if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
        __syncthreads();
        v = 0.0f;
#pragma unroll
        for (int w = 0; w < T / 32; ++w) v += scratch[w];
        __syncthreads();
    }
    return v;
}

// The maximum of v over the block's T threads, in every thread (NaN ignored, as fmaxf). As nn_block_sum.
template <int T>
__device__ float nn_block_max(float v, float* scratch) {
#pragma unroll
    for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if constexpr (T > 32) {
        if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
        __syncthreads();
#pragma unroll
        for (int w = 0; w < T / 32; ++w) v = fmaxf(v, scratch[w]);
        __syncthreads();
    }
    return v;
}

// Records (position, value) as the first bad index unless one is recorded already: word 0 is claimed from -1
// with a compare-and-swap, and only its winner writes word 1, so both words describe the same index.
__device__ inline void nn_record_bad_index(int64_t* record, int64_t position, int64_t value) {
    auto word = reinterpret_cast<unsigned long long*>(record);
    if (atomicCAS(word, ~0ull, static_cast<unsigned long long>(position)) == ~0ull) record[1] = value;
}

// After the kernels of a call: the record's copy to page-locked host memory, ordered on the stream, so that
// the caller can look at it later without synchronizing.
inline bnb_status nn_copy_bad_index(const int64_t* record, int64_t* host, cudaStream_t stream) {
    if (host == nullptr) return BNB_OK;
    BNB_CUDA_CHECK(cudaMemcpyAsync(host, record, 2 * sizeof(int64_t), cudaMemcpyDeviceToHost, stream));
    return BNB_OK;
}

// *address += v for an element of dtype D, with f32 arithmetic and one rounding: atomicAdd for f32, a
// compare-and-swap on the aligned 32-bit word holding a 16-bit element (every architecture has that one).
template <int32_t D>
__device__ void nn_atomic_add(typename CudaElement<D>::type* address, float v) {
    if constexpr (D == BNB_F32) {
        atomicAdd(address, v);
    } else {
        const uintptr_t at = reinterpret_cast<uintptr_t>(address);
        auto word = reinterpret_cast<unsigned int*>(at & ~uintptr_t{3});
        const unsigned shift = (at & 2u) ? 16u : 0u;
        unsigned int old = *word, assumed;
        do {
            assumed = old;
            typename CudaElement<D>::type element;
            const uint16_t bits = static_cast<uint16_t>(assumed >> shift);
            memcpy(&element, &bits, sizeof bits);
            const typename CudaElement<D>::type sum =
                CudaElement<D>::from_float(CudaElement<D>::to_float(element) + v);
            uint16_t sum_bits;
            memcpy(&sum_bits, &sum, sizeof sum_bits);
            const unsigned int updated =
                (assumed & ~(0xffffu << shift)) | (static_cast<unsigned int>(sum_bits) << shift);
            old = atomicCAS(word, assumed, updated);
        } while (old != assumed);
    }
}

}  // namespace bnb
