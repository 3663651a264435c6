// The optimizer kernels' view of the tensors of a call (part of optimizer_step.cu): the launch constants,
// the per-launch descriptors passed by value as kernel parameters, the rounding through the parameter
// dtype, the lane layout of a state block, vector loads and stores, warp reductions, and how a warp
// finds the tensor of a state block.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "common/half_convert.h"
#include "common/optim_math.h"
#include "cuda/elements.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kChunk = 300;  // tensors per launch
constexpr unsigned kFull = 0xffffffffu;

struct DevTensor {
    void* p;
    const void* g;
    void* state1;
    void* state2;
    float* absmax1;
    float* absmax2;
    int64_t n;
    StepConstants k;
    int32_t vector_ok;  // every address is aligned for the vector loads
    int32_t stage_ok;   // every array is 16-byte aligned, for cp.async (8-bit state)
};

struct DevChunk {
    int64_t start[kChunk + 1];  // first state block of each tensor; start[count] = total
    DevTensor t[kChunk];
    int32_t count;
};
static_assert(sizeof(DevChunk) + sizeof(Scalars) + 64 <= 32000, "kernel parameters must stay below 32 KB");

// What the percentile-clipping and update-norm kernels need besides.
struct DevAux {
    float* scratch[kChunk];
    float* gnorm[kChunk];
    int32_t step[kChunk];
    int32_t count;
};

// Rounding through the parameter dtype (common/optim_math.h's Rnd), on the device with the CUDA
// conversions, on the host (never used there) with the identical software ones.
template <int32_t D>
struct GpuRound;
template <>
struct GpuRound<BNB_F32> : NoRound {};
template <>
struct GpuRound<BNB_F16> {
    BNB_HD static float apply(float x) {
#if defined(__CUDA_ARCH__)
        return __half2float(__float2half_rn(x));
#else
        return half_to_float(float_to_half(x));
#endif
    }
};
template <>
struct GpuRound<BNB_BF16> {
    BNB_HD static float apply(float x) {
#if defined(__CUDA_ARCH__)
        return __bfloat162float(__float2bfloat16_rn(x));
#else
        return bf16_to_float(float_to_bf16(x));
#endif
    }
};

// How a warp's 256 elements lie on its lanes for dtype D: kRows rows of W elements per lane.
template <int32_t D>
struct Layout {
    static constexpr int W = 16 / sizeof(typename CudaElement<D>::type);
    static constexpr int kRows = 256 / (32 * W);
    __device__ static int offset(int lane, int r) { return r * 32 * W + lane * W; }
};

// W values of dtype D at a + i (16-byte aligned), as floats.
template <int32_t D, bool kStreaming, int W>
__device__ __forceinline__ void load_vector(const typename CudaElement<D>::type* a, int64_t i, float (&x)[W]) {
    const uint4* address = reinterpret_cast<const uint4*>(a + i);
    unpack_floats<D>(kStreaming ? __ldcs(address) : *address, x);
}

// One 16-byte store, which the compiler may not split (a plain uint4 store was split into four 4-byte
// ones where it shared its address with the element-wise tail path).
template <int32_t D, int W>
__device__ __forceinline__ void store_vector(typename CudaElement<D>::type* a, int64_t i, const float (&x)[W]) {
    __stwb(reinterpret_cast<uint4*>(a + i), pack_floats<D>(x));
}

// W (4 or 8) floats of 32-bit state.
template <int W>
__device__ __forceinline__ void load_floats(const float* a, int64_t i, float* x) {
#pragma unroll
    for (int k = 0; k < W / 4; ++k) {
        const float4 v = *reinterpret_cast<const float4*>(a + i + 4 * k);
        x[4 * k] = v.x;
        x[4 * k + 1] = v.y;
        x[4 * k + 2] = v.z;
        x[4 * k + 3] = v.w;
    }
}

template <int W>
__device__ __forceinline__ void store_floats(float* a, int64_t i, const float* x) {
#pragma unroll
    for (int k = 0; k < W / 4; ++k)
        *reinterpret_cast<float4*>(a + i + 4 * k) = make_float4(x[4 * k], x[4 * k + 1], x[4 * k + 2], x[4 * k + 3]);
}

// W (4 or 8) codes at a + i, code v in byte v % 4 of word v / 4.
template <int W>
__device__ __forceinline__ void load_codes(const uint8_t* a, int64_t i, uint32_t* words) {
    if constexpr (W == 4) {
        words[0] = *reinterpret_cast<const uint32_t*>(a + i);
    } else {
        const uint2 v = *reinterpret_cast<const uint2*>(a + i);
        words[0] = v.x;
        words[W / 4 - 1] = v.y;
    }
}

template <int W>
__device__ __forceinline__ void store_codes(uint8_t* a, int64_t i, const uint32_t* words) {
    if constexpr (W == 4)
        *reinterpret_cast<uint32_t*>(a + i) = words[0];
    else
        *reinterpret_cast<uint2*>(a + i) = make_uint2(words[0], words[W / 4 - 1]);
}

__device__ __forceinline__ int code_at(const uint32_t* words, int v) { return (words[v / 4] >> (8 * (v % 4))) & 0xff; }

// The warp's maximum of the lanes' running block maxima (absmax_add()'s: each +0 to +inf, or absmax_init()'s
// -FLT_MAX for a lane of NaNs). Those floats order as their bits read as signed integers, so from sm_80
// on one integer reduction replaces five shuffles.
__device__ __forceinline__ float warp_absmax(float v) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    return __int_as_float(__reduce_max_sync(kFull, __float_as_int(v)));
#else
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
    return v;
#endif
}

__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
    return v;
}

// ---- finding a block's tensor ----------------------------------------------------------------------

// The tensor owning global state block w, starting from the guess t (the previous block's tensor).
__device__ __forceinline__ int tensor_of(const DevChunk& c, int64_t w, int t) {
    if (t < c.count && w >= c.start[t] && w < c.start[t + 1]) return t;
    int lo = 0, hi = c.count;  // start[lo] <= w < start[hi]
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (c.start[mid] <= w)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

// The scalars of one tensor, read from the kernel parameter into registers.
struct View {
    void* p;
    const void* g;
    void* state1;
    void* state2;
    float* absmax1;
    float* absmax2;
    int64_t n;
    int64_t blocks;
    StepConstants k;
    bool vector_ok;
    bool stage_ok;
};

__device__ __forceinline__ View view_of(const DevChunk& c, int t) {
    View v;
    v.p = c.t[t].p;
    v.g = c.t[t].g;
    v.state1 = c.t[t].state1;
    v.state2 = c.t[t].state2;
    v.absmax1 = c.t[t].absmax1;
    v.absmax2 = c.t[t].absmax2;
    v.n = c.t[t].n;
    v.blocks = (v.n + kBlock - 1) / kBlock;
    v.k = c.t[t].k;
    v.vector_ok = c.t[t].vector_ok != 0;
    v.stage_ok = c.t[t].stage_ok != 0;
    return v;
}

}  // namespace
}  // namespace optim
}  // namespace bnb
