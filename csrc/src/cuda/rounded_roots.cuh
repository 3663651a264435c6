// Correctly rounded 1 / (sqrt(x) + a) for a lane's batch of values, bit for bit what sqrtf and '/' give
// (and what the CPU library computes), with one range check per batch instead of a branch per operation.
//
// CUDA lowers sqrt.rn.f32 and rcp.rn.f32 to a short exact sequence (a MUFU approximation, then one
// Newton step whose residual is computed with an FMA) guarded by a range check, and calls a slow
// subroutine outside that range. Per element that is a check, a branch and a convergence barrier around
// each operation: in the 8-bit optimizer kernel about a third of the update's instructions. Here the
// same sequences run unguarded when every value of the batch is in range (always, in training: the
// state is positive and the denominator at least eps), and the compiler's own sqrtf and '/' otherwise.
#pragma once

#include <stdint.h>

namespace bnb {

// Whether x is where sqrt.rn.f32 takes its fast path: 2^-101 <= x <= FLT_MAX (the compiler's test).
__device__ __forceinline__ bool sqrt_fast_path(float x) { return __float_as_uint(x) - 0x0d000000u <= 0x727fffffu; }

// Whether d is where rcp.rn.f32 takes its fast path: 2^-126 <= d < 2^126 (biased exponent 1 to 252;
// the compiler also takes negative d there, which this caller never has).
__device__ __forceinline__ bool rcp_fast_path(float d) { return __float_as_uint(d) - 0x00800000u < 0x7d800000u; }

// sqrt.rn.f32's fast path: s = x * rsqrt(x), then s + (x - s * s) * rsqrt(x) / 2.
__device__ __forceinline__ float sqrt_in_range(float x) {
    float r, s, h;
    asm("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    asm("mul.ftz.f32 %0, %1, %2;" : "=f"(s) : "f"(x), "f"(r));
    asm("mul.ftz.f32 %0, %1, 0f3F000000;" : "=f"(h) : "f"(r));
    return __fmaf_rn(__fmaf_rn(-s, s, x), h, s);
}

// rcp.rn.f32's fast path: r + r * (1 - d * r) with r = rcp(d).
__device__ __forceinline__ float rcp_in_range(float d) {
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(d));
    return __fmaf_rn(r, -__fmaf_rn(d, r, -1.0f), r);
}

// inv[i] = 1 / (sqrtf(x[i]) + a), each operation rounded as IEEE float operations.
template <int N>
__device__ __forceinline__ void inverse_root_sums(const float (&x)[N], float a, float (&inv)[N]) {
    bool fast = true;
#pragma unroll
    for (int i = 0; i < N; ++i) fast &= sqrt_fast_path(x[i]);
    if (fast) {
#pragma unroll
        for (int i = 0; i < N; ++i) inv[i] = sqrt_in_range(x[i]) + a;
    } else {
#pragma unroll
        for (int i = 0; i < N; ++i) inv[i] = sqrtf(x[i]) + a;
    }
    fast = true;
#pragma unroll
    for (int i = 0; i < N; ++i) fast &= rcp_fast_path(inv[i]);
    if (fast) {
#pragma unroll
        for (int i = 0; i < N; ++i) inv[i] = rcp_in_range(inv[i]);
    } else {
#pragma unroll
        for (int i = 0; i < N; ++i) inv[i] = 1.0f / inv[i];
    }
}

}  // namespace bnb
