// Launch helpers of the int8 kernels: grids sized to what is resident on the device, and block-wide
// maxima and prefix sums.
#pragma once

#include <stdint.h>

#include <algorithm>

#include "common/arg_checks.h"
#include "cuda/cuda_check.h"

namespace bnb {

// The current device's SM count and how many blocks of `threads` threads of kernel fit on one SM, asked
// of the runtime once per (kernel, threads, device) and then remembered: the occupancy query costs a few
// microseconds of host time, as long as a small kernel runs, and was paid on every call. (launch.cu)
bnb_status int8_device_slots(const void* kernel, int threads, int* sms, int* per_sm);

// Blocks of `threads` for a grid-stride loop over `items`: as many as fit on the device at once, no more
// than items (at least 1).
template <typename Kernel>
bnb_status int8_resident_blocks(Kernel kernel, int threads, int64_t items, int64_t* blocks) {
    int sms = 0, per_sm = 0;
    BNB_TRY(int8_device_slots(reinterpret_cast<const void*>(kernel), threads, &sms, &per_sm));
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

// The sum of v over the threads before this one in the block of T threads (T a multiple of 32, at most
// 1024), and in *total the sum over all of them. scratch holds 32 ints; the function synchronizes twice,
// so the caller may reuse scratch right after.
template <int T>
__device__ int block_exclusive_sum(int v, int* scratch, int* total) {
    static_assert(T % 32 == 0 && T <= 1024, "whole warps, at most 32 of them");
    const int lane = threadIdx.x % 32;
    int inclusive = v;
#pragma unroll
    for (int o = 1; o < 32; o *= 2) {
        const int up = __shfl_up_sync(0xffffffffu, inclusive, o);
        if (lane >= o) inclusive += up;
    }
    if (lane == 31) scratch[threadIdx.x / 32] = inclusive;
    __syncthreads();
    int before = 0, sum = 0;
#pragma unroll
    for (int w = 0; w < T / 32; ++w) {
        const int count = scratch[w];  // the same address in every thread: a broadcast
        before += w < static_cast<int>(threadIdx.x / 32) ? count : 0;
        sum += count;
    }
    __syncthreads();
    *total = sum;
    return before + inclusive - v;
}

}  // namespace bnb
