// 16-byte vector loads and stores of the float dtypes (cuda/elements.cuh) and of codes, which fall back
// to single elements at the end of the data or where a pointer is not aligned for them.
#pragma once

#include <stdint.h>

#include "cuda/elements.cuh"

namespace bnb {

// The 16 bytes at a + i (16-byte aligned). Read once, so the load is marked evict-first.
template <int32_t D>
__device__ uint4 load_raw(const typename CudaElement<D>::type* a, int64_t i) {
    return __ldcs(reinterpret_cast<const uint4*>(a + i));
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
        __stcs(reinterpret_cast<uint4*>(out + i), pack_floats<D>(y));
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
