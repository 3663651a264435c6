// Launch helpers of the int8 kernels: grids sized to what is resident on the device, and block-wide
// maxima.
#pragma once

#include <stdint.h>

#include <algorithm>

#include "cuda/cuda_check.h"

namespace bnb {

// Blocks of `threads` for a grid-stride loop over `items`: as many as fit on the device at once, no more
// than items (at least 1).
template <typename Kernel>
bnb_status int8_resident_blocks(Kernel kernel, int threads, int64_t items, int64_t* blocks) {
    int device = 0, sms = 0, per_sm = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0));
    *blocks = std::max<int64_t>(1, std::min<int64_t>(items, int64_t{sms} * std::max(per_sm, 1)));
    return BNB_OK;
}

// The maximum of v over the block's T threads, in every thread (NaN ignored, as fmaxf does). scratch
// holds T / 32 floats; the function synchronizes twice, so the caller may reuse scratch right after.
template <int T>
__device__ float block_max(float v, float* scratch) {
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

}  // namespace bnb
