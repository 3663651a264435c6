// Element types of the float dtypes on the GPU, and 16-byte vector loads and stores that fall back to
// single elements at the end of the data or where a pointer is not aligned for them.
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

// The 16 bytes at a + i (16-byte aligned). Read once, so the load is marked evict-first.
template <int32_t D>
__device__ uint4 load_raw(const typename CudaElement<D>::type* a, int64_t i) {
    return __ldcs(reinterpret_cast<const uint4*>(a + i));
}

// The W elements of dtype D in raw, as floats.
template <int32_t D, int W = kVectorWidth<D>>
__device__ void unpack_floats(uint4 raw, float (&x)[W]) {
    const uint32_t words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) CudaElement<D>::unpack(words[k], x + k * (W / 4));
}

// x = a[i .. i + W) as floats, 0 past n.
template <int32_t D, int W = kVectorWidth<D>>
__device__ void load_floats(const typename CudaElement<D>::type* a, int64_t i, int64_t n, bool aligned,
                            float (&x)[W]) {
    using E = CudaElement<D>;
    if (aligned && i + W <= n) {
        unpack_floats<D>(load_raw<D>(a, i), x);
    } else {
#pragma unroll
        for (int v = 0; v < W; ++v) x[v] = i + v < n ? E::to_float(a[i + v]) : 0.0f;
    }
}

// out[i .. min(i + W, n)) = y rounded to dtype D. Not read again here, so stored evict-first.
template <int32_t D, int W = kVectorWidth<D>>
__device__ void store_floats(typename CudaElement<D>::type* out, int64_t i, int64_t n, bool aligned,
                             const float (&y)[W]) {
    using E = CudaElement<D>;
    if (aligned && i + W <= n) {
        uint32_t words[4];
#pragma unroll
        for (int k = 0; k < 4; ++k) words[k] = E::pack(y + k * (W / 4));
        __stcs(reinterpret_cast<uint4*>(out + i), make_uint4(words[0], words[1], words[2], words[3]));
    } else {
#pragma unroll
        for (int v = 0; v < W; ++v)
            if (i + v < n) out[i + v] = E::from_float(y[v]);
    }
}

// W codes (W = 4 or 8) as little-endian words: code v is byte v % 4 of word v / 4.
template <int W>
struct Codes {
    static_assert(W == 4 || W == 8, "codes move as 4 or 8 bytes");
    uint32_t words[W / 4];
    __device__ int get(int v) const { return (words[v / 4] >> (8 * (v % 4))) & 0xff; }
    // Multiply-adds rather than shifts and ORs: they run on the FMA pipe, which has room to spare.
    __device__ void set(int v, uint32_t q) {
        words[v / 4] = v % 4 == 0 ? q : words[v / 4] + q * (1u << (8 * (v % 4)));
    }
};

template <int W>
__device__ Codes<W> load_codes(const uint8_t* a, int64_t i, int64_t n, bool aligned) {
    Codes<W> c;
    if (aligned && i + W <= n) {
        if constexpr (W == 4) {
            c.words[0] = *reinterpret_cast<const uint32_t*>(a + i);
        } else {
            uint2 u = *reinterpret_cast<const uint2*>(a + i);
            c.words[0] = u.x;
            c.words[1] = u.y;
        }
    } else {
#pragma unroll
        for (int v = 0; v < W; ++v) c.set(v, i + v < n ? a[i + v] : 0u);
    }
    return c;
}

template <int W>
__device__ void store_codes(uint8_t* out, int64_t i, int64_t n, bool aligned, const Codes<W>& c) {
    if (aligned && i + W <= n) {
        if constexpr (W == 4)
            *reinterpret_cast<uint32_t*>(out + i) = c.words[0];
        else
            *reinterpret_cast<uint2*>(out + i) = make_uint2(c.words[0], c.words[1]);
    } else {
#pragma unroll
        for (int v = 0; v < W; ++v)
            if (i + v < n) out[i + v] = static_cast<uint8_t>(c.get(v));
    }
}

}  // namespace bnb
