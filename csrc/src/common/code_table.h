// The search that the CUDA kernels run instead of quantize_to_code(), on tables built from the code.
// It returns exactly what quantize_to_code() returns, for every code (ascending or not, NaN entries
// included) and every x (NaN included); tests/cpu_tests.cpp checks this on the host.
//
// Why it is exact. quantize_to_code() visits the pivots b + h - 1 for h = 128, 64, ..., 2, where b, a
// multiple of 2h, grows by h whenever x > code[pivot]; the search ends on the even p = b. Whatever the
// comparisons were, the last pivots passed below and above p are p - 1 and p + 1 (the in-order
// neighbours of a leaf of a binary search tree are its ancestors), or the never-moved bounds 0 and 255.
// So the final step depends on p alone:
//     x > code[p] ? p + (x > above) : p - (x < below)
// with above = (code[p + 1] + code[p]) * 0.5f and below = (code[p - 1] + code[p]) * 0.5f (for p = 0
// both outcomes are 0). code_bounds() turns that into p + (x > H) - (x < L), two comparisons with
// values tabulated per p.
#pragma once

#include <math.h>
#include <stdint.h>

#include "common/host_device.h"

namespace bnb {

// Index j of the code is stored at padded_index(j): one pad word per 32 entries spreads the 2^k pivots
// of search level k, which lie 256 / 2^k apart, over distinct shared-memory banks.
BNB_HD constexpr int padded_index(int j) { return j + (j >> 5); }

constexpr int kPaddedCodes = 264;  // > padded_index(255)

struct CodeBounds {
    float below;  // L
    float above;  // H
};

// L and H for an even p, such that p + (x > H) - (x < L) is quantize_to_code()'s result whenever its
// search ends on p. With v = code[p]: H = max(above, v) is passed only when x > v and x > above, and
// L = min(below, nextafter(v)) only when x <= v and x < below. A NaN stays where a comparison with it
// must stay false (a NaN v makes above NaN, and fminf then keeps below).
BNB_HD inline CodeBounds code_bounds(const float* code, int p) {
    const float v = code[p];
    const float below = p > 0 ? (code[p - 1] + v) * 0.5f : -INFINITY;
    const float above = (code[p + 1] + v) * 0.5f;
    return {isnan(below) ? NAN : fminf(below, nextafterf(v, INFINITY)), isnan(above) ? NAN : fmaxf(above, v)};
}

// value += step when a > b (never for NaN). On the GPU a compare and a predicated add: no select,
// which would load the ALU pipe that limits the quantize kernel.
BNB_HD inline void add_if_greater(int& value, float a, float b, int step) {
#if defined(__CUDA_ARCH__)
    asm("{\n\t.reg .pred gt;\n\tsetp.gt.f32 gt, %1, %2;\n\t@gt add.s32 %0, %0, %3;\n\t}"
        : "+r"(value)
        : "f"(a), "f"(b), "r"(step));
#else
    if (a > b) value += step;
#endif
}

// The first level: when x > code127, base becomes the offset of b = 128 and the second level's pivot
// code191 instead of code63: one compare for both.
BNB_HD inline void first_level(int& base, float& second, float x, float code127, float code191) {
#if defined(__CUDA_ARCH__)
    asm("{\n\t.reg .pred gt;\n\tsetp.gt.f32 gt, %2, %3;\n\t@gt mov.b32 %0, %5;\n\t@gt mov.f32 %1, %4;\n\t}"
        : "+r"(base), "+f"(second)
        : "f"(x), "f"(code127), "f"(code191), "r"(4 * padded_index(128)));
#else
    if (x > code127) {
        base = 4 * padded_index(128);
        second = code191;
    }
#endif
}

// p from the byte offset 4 * padded_index(p): padded_index(p) - floor(padded_index(p) / 33), the floor
// taken as * 993 >> 15, which is exact up to padded_index(255).
BNB_HD inline int pivot_of(unsigned base) { return static_cast<int>((base >> 2) - ((base * 993u) >> 17)); }

// quantize_to_code() for N values at once. pivots[padded_index(j)] = code[j]; the first two search
// levels compare with code[127], then code[191] or code[63], which the caller keeps in registers;
// bounds_of(p) returns code_bounds(code, p). The search state of a value is the byte offset
// 4 * padded_index(b), so that every load is at a compile-time offset from it. The values advance level
// by level, all loads of a level issued before their comparisons, so that N loads are in flight at once.
template <int N, typename BoundsOf>
BNB_HD inline void quantize_values(const float* pivots, float code63, float code127, float code191,
                                   const BoundsOf& bounds_of, const float (&x)[N], int (&q)[N]) {
    const char* bytes = reinterpret_cast<const char*>(pivots);
    int base[N];
    BNB_UNROLL
    for (int i = 0; i < N; ++i) {
        float second = code63;
        base[i] = 0;
        first_level(base[i], second, x[i], code127, code191);
        add_if_greater(base[i], x[i], second, 4 * padded_index(64));
    }
    BNB_UNROLL
    for (int h = 32; h >= 2; h >>= 1) {
        float pivot[N];
        BNB_UNROLL
        for (int i = 0; i < N; ++i) pivot[i] = *reinterpret_cast<const float*>(bytes + base[i] + 4 * padded_index(h - 1));
        BNB_UNROLL
        for (int i = 0; i < N; ++i) add_if_greater(base[i], x[i], pivot[i], 4 * padded_index(h));
    }
    CodeBounds bounds[N];
    BNB_UNROLL
    for (int i = 0; i < N; ++i) {
        q[i] = pivot_of(base[i]);
        bounds[i] = bounds_of(q[i]);
    }
    BNB_UNROLL
    for (int i = 0; i < N; ++i) {  // the final step: q = p + (x > H) - (x < L)
        add_if_greater(q[i], x[i], bounds[i].above, 1);
        add_if_greater(q[i], bounds[i].below, x[i], -1);
    }
}

}  // namespace bnb
