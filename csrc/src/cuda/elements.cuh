// Element types of the float dtypes on the GPU, shared by the quantization and optimizer kernels: exact
// conversions to float and back (round to nearest even, as the CPU does), and 16-byte vectors of them.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <string.h>

#include "common/dtype_dispatch.h"

namespace bnb {

// Each element type converts exactly to float and back with round to nearest even, as the CPU does.
template <int32_t D>
struct CudaElement;

template <>
struct CudaElement<BNB_F32> {
    using type = float;
    __device__ static float to_float(float v) { return v; }
    __device__ static float from_float(float v) { return v; }
    __device__ static void unpack(uint32_t w, float* x) { x[0] = __uint_as_float(w); }
    __device__ static uint32_t pack(const float* x) { return __float_as_uint(x[0]); }
};

template <>
struct CudaElement<BNB_F16> {
    using type = __half;
    __device__ static float to_float(__half v) { return __half2float(v); }
    __device__ static __half from_float(float v) { return __float2half_rn(v); }
    __device__ static void unpack(uint32_t w, float* x) {
        __half2 h;
        memcpy(&h, &w, sizeof w);
        float2 f = __half22float2(h);
        x[0] = f.x;
        x[1] = f.y;
    }
    __device__ static uint32_t pack(const float* x) {
        __half2 h = __floats2half2_rn(x[0], x[1]);
        uint32_t w;
        memcpy(&w, &h, sizeof w);
        return w;
    }
};

template <>
struct CudaElement<BNB_BF16> {
    using type = __nv_bfloat16;
    __device__ static float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }
    __device__ static __nv_bfloat16 from_float(float v) { return __float2bfloat16_rn(v); }
    __device__ static void unpack(uint32_t w, float* x) {
        x[0] = __uint_as_float(w << 16);
        x[1] = __uint_as_float(w & 0xffff0000u);
    }
    __device__ static uint32_t pack(const float* x) {
        __nv_bfloat162 b = __floats2bfloat162_rn(x[0], x[1]);
        uint32_t w;
        memcpy(&w, &b, sizeof w);
        return w;
    }
};

// Elements of dtype D in 16 bytes.
template <int32_t D>
constexpr int kVectorWidth = 16 / sizeof(typename CudaElement<D>::type);

// The W elements of dtype D in raw, as floats.
template <int32_t D, int W = kVectorWidth<D>>
__device__ void unpack_floats(uint4 raw, float (&x)[W]) {
    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) CudaElement<D>::unpack(words[k], x + k * (W / 4));
}

// The W floats x rounded to dtype D, as 16 bytes.
template <int32_t D, int W = kVectorWidth<D>>
__device__ uint4 pack_floats(const float (&x)[W]) {
    uint32_t words[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) words[k] = CudaElement<D>::pack(x + k * (W / 4));
    return make_uint4(words[0], words[1], words[2], words[3]);
}

}  // namespace bnb
