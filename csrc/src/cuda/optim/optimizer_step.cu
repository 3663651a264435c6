// bnb_cuda_optimizer_step: the optimizer update kernels on the GPU, bit for bit what
// cpu/optim/optimizer_step.cpp computes (the element arithmetic lives in common/optim_math.h; this file
// is compiled with --fmad=false, see csrc/CMakeLists.txt, so no a*b+c becomes an FMA).
//
// Shape. All tensors of a call are cut into 256-element state blocks, numbered one after the other
// (tensor t owns [start[t], start[t + 1])). One warp handles one state block: lane l holds 8 elements,
// as rows of one 16-byte vector (f32: rows r = 0, 1 of elements r * 128 + 4 l .. +3; f16/bf16: one row
// of elements 8 l .. 8 l + 7), so every load and store of a warp covers one contiguous range, and the
// new absmax of an 8-bit block is a warp shuffle reduction. Resident thread blocks loop over the state
// blocks (the 32-bit kernel strided by warp, the 8-bit kernel and the pre-passes in a contiguous range
// per warp); a warp finds its tensor from the prefix sums by binary search.
//
// 8-bit requantization: once per call, build_state_tables_kernel builds step tables of the two code
// books (common/optim_math.h), which every thread block copies into shared memory: one 4-byte lookup
// per code instead of a seven-level search, which runs only where an entry falls back (NaN, or a
// code book the tables cannot represent).
//
// The tensors' descriptors (addresses, sizes, per-tensor step constants) travel by value as one kernel
// parameter (DevChunk, below 32 KB: CUDA 12.1+ on Volta+), up to kChunk tensors per launch: no
// descriptor copy, no host synchronisation. Per chunk the passes are
//   percentile < 100: sums_kernel<kGradNorm>, then clip_kernel (history, gnorm_scale per tensor);
//   max_unorm > 0:    sums_kernel<kUpdateNorm>, then cap_kernel (scratch, update scale per tensor);
//   always:           update32_kernel or update8_kernel.
// The 8-bit tables, the per-tensor sums (doubles) and scales (floats) share one stream-ordered temporary
// allocation per call.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include <algorithm>
#include <type_traits>

#include "common/half_convert.h"
#include "common/optim_plan.h"
#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/rounded_roots.cuh"

namespace bnb {
namespace optim {
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

// ---- the update kernels ------------------------------------------------------------------------------

template <int R, int32_t D>
__device__ __forceinline__ void update32_block(const View& d, int64_t b, const Scalars& s, float gs, float us,
                                               int lane) {
    using E = CudaElement<D>;
    using L = Layout<D>;
    using T = typename E::type;
    constexpr int W = L::W;
    T* p = static_cast<T*>(d.p);
    const T* g = static_cast<const T*>(d.g);
    float* m = static_cast<float*>(d.state1);
    float* v = two_state(R) ? static_cast<float*>(d.state2) : nullptr;
    float* m2 = R == kAdemamix ? m + d.n : nullptr;
    const int64_t base = b * kBlock;
    if (d.vector_ok && base + kBlock <= d.n) {
        float gv[L::kRows][W], pv[L::kRows][W], mv[L::kRows][W], vv[L::kRows][W], m2v[L::kRows][W];
#pragma unroll
        for (int r = 0; r < L::kRows; ++r) {
            const int64_t i = base + L::offset(lane, r);
            load_vector<D, true>(g, i, gv[r]);
            load_vector<D, false>(p, i, pv[r]);
            load_floats<W>(m, i, mv[r]);
            if (two_state(R)) load_floats<W>(v, i, vv[r]);
            if (R == kAdemamix) load_floats<W>(m2, i, m2v[r]);
        }
#pragma unroll
        for (int r = 0; r < L::kRows; ++r) {
#pragma unroll
            for (int j = 0; j < W; ++j) {
                float vj = two_state(R) ? vv[r][j] : 0.0f, m2j = R == kAdemamix ? m2v[r][j] : 0.0f;
                update32<R, GpuRound<D>>(s, d.k, gs, us, gv[r][j], pv[r][j], mv[r][j], vj, m2j);
                if (two_state(R)) vv[r][j] = vj;
                if (R == kAdemamix) m2v[r][j] = m2j;
            }
            const int64_t i = base + L::offset(lane, r);
            store_vector<D>(p, i, pv[r]);
            store_floats<W>(m, i, mv[r]);
            if (two_state(R)) store_floats<W>(v, i, vv[r]);
            if (R == kAdemamix) store_floats<W>(m2, i, m2v[r]);
        }
        return;
    }
    const int64_t end = min(d.n, base + kBlock);
    for (int64_t i = base + lane; i < end; i += 32) {
        float pv = E::to_float(p[i]), mv = m[i];
        float vv = two_state(R) ? v[i] : 0.0f, m2v = R == kAdemamix ? m2[i] : 0.0f;
        update32<R, GpuRound<D>>(s, d.k, gs, us, E::to_float(g[i]), pv, mv, vv, m2v);
        p[i] = E::from_float(pv);
        m[i] = mv;
        if (two_state(R)) v[i] = vv;
        if (R == kAdemamix) m2[i] = m2v;
    }
}

template <int R, int32_t D>
__global__ void __launch_bounds__(kThreads) update32_kernel(const DevChunk c, const Scalars s,
                                                           const float* __restrict__ gscale,
                                                           const float* __restrict__ uscale) {
    const int lane = threadIdx.x % 32;
    const int64_t total = c.start[c.count];
    const int64_t warps = int64_t{gridDim.x} * kWarps;
    int t = 0;
    for (int64_t w = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32; w < total; w += warps) {
        t = tensor_of(c, w, t);
        const View d = view_of(c, t);
        const float gs = gscale ? gscale[t] : 1.0f;
        const float us = uscale ? uscale[t] : 1.0f;
        update32_block<R, D>(d, w - c.start[t], s, gs, us, lane);
    }
}

// The requantization tables of one call (common/optim_math.h), built by build_state_tables_kernel: the
// step tables, copied into the shared memory of every block of update8_kernel, and the search tables of
// both books for the rare fallback, read from global memory.
template <int N>
constexpr int kVectors = (N + 3) / 4 * 4;  // entries rounded up to 16-byte vectors

struct StateTables {
    uint32_t first[kVectors<SignedStateTable::kEntries>];
    uint32_t second[kVectors<UnsignedStateTable::kEntries>];
    OptimCodeTable search[2];
};

// The shared memory of update8_kernel: the code books for dequantization and the first-moment step
// table; two-state rules append the second-moment table (Smem8::second()).
struct Smem8 {
    float codes[2][256];
    uint32_t first[kVectors<SignedStateTable::kEntries>];
    __device__ uint32_t* second() { return reinterpret_cast<uint32_t*>(this + 1); }
};

template <bool kTwo>
constexpr size_t kSmem8 = sizeof(Smem8) + (kTwo ? sizeof(StateTables::second) : 0);

// A row of W states to codes (W / 4 little-endian words) with the block's 1 / absmax: the step tables,
// and the search on x itself where an entry falls back.
struct Requantizer {
    const uint32_t* first;       // shared memory
    const uint32_t* second;      // shared memory (two-state rules)
    const StateTables* tables;   // global memory
    uint32_t nan_first;          // nan_code_info() of the signed book

    template <int W>
    __device__ __forceinline__ void first_row(const float (&x)[W], float inv, uint32_t (&words)[W / 4]) const {
        row<SignedStateTable>(first, x, inv, words, [&](int j) -> uint32_t {
            return signed_state_fallback(tables->search[0], nan_first, x[j], inv);
        });
    }

    template <int W>
    __device__ __forceinline__ void second_row(const float (&x)[W], float inv, uint32_t (&words)[W / 4]) const {
        row<UnsignedStateTable>(second, x, inv, words, [&](int j) -> uint32_t {
            return unsigned_state_fallback(tables->search[1], x[j], inv);
        });
    }

    // y = x * inv looked up in `entries`, fallback(j) where an entry falls back.
    template <class Table, int W, class Fallback>
    __device__ __forceinline__ static void row(const uint32_t* entries, const float (&x)[W], float inv,
                                               uint32_t (&words)[W / 4], Fallback fallback) {
        float y[W];
        uint32_t c[W];
#pragma unroll
        for (int j = 0; j < W; ++j) y[j] = x[j] * inv;
        step_lookup<Table>(entries, y, c, fallback);
#pragma unroll
        for (int k = 0; k < W / 4; ++k) words[k] = c[4 * k] | c[4 * k + 1] << 8 | c[4 * k + 2] << 16 | c[4 * k + 3] << 24;
    }
};

// A warp's copy of one state block in shared memory: update8_kernel has cp.async fill it with the next
// block while the warp computes the current one, so that the loads of a block wait on nothing (the
// kernel is bound by its arithmetic; its registers leave no room for loads ahead). Measured on an H200
// (Adam, f32, 2^30 elements): 177 G params/s without, 193-204 with one stage; two stages ahead, or an L2
// prefetch of the block after the staged one, measured 3-10% slower.
template <int32_t D>
struct Stage {
    typename CudaElement<D>::type g[kBlock];
    typename CudaElement<D>::type p[kBlock];
    uint8_t codes[3][kBlock];  // state1, state2, AdEMAMix's slow state
    float absmax[4];           // of the three states (the last is padding)
};
static_assert(sizeof(Stage<BNB_F32>) % 16 == 0 && sizeof(Stage<BNB_BF16>) % 16 == 0, "stages stay 16-byte aligned");

__device__ __forceinline__ bool stageable(const View& d, int64_t b) { return d.stage_ok && (b + 1) * kBlock <= d.n; }

// cp.async exists from sm_80 on; older GPUs never stage (update8_kernel's `stage` is false there).
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define BNB_CP_ASYNC(...) asm volatile(__VA_ARGS__)
#else
#define BNB_CP_ASYNC(...) __trap()
#endif

__device__ __forceinline__ void copy_async16(void* to_shared, const void* from_global) {
    const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(to_shared));
    BNB_CP_ASYNC("cp.async.cg.shared.global [%0], [%1], 16;" : : "r"(to), "l"(from_global) : "memory");
}

__device__ __forceinline__ void copy_async4(void* to_shared, const void* from_global) {
    const unsigned to = static_cast<unsigned>(__cvta_generic_to_shared(to_shared));
    BNB_CP_ASYNC("cp.async.ca.shared.global [%0], [%1], 4;" : : "r"(to), "l"(from_global) : "memory");
}

// Starts copying state block b of d (stageable) into st: 16 bytes per copy, the warp's lanes side by side.
template <int R, int32_t D>
__device__ __forceinline__ void stage_block(Stage<D>& st, const View& d, int64_t b, int lane) {
    using T = typename CudaElement<D>::type;
    constexpr int kChunks = kBlock * static_cast<int>(sizeof(T)) / 16;  // per parameter-sized array
    const int64_t base = b * kBlock;
#pragma unroll
    for (int k = lane; k < kChunks; k += 32) {
        copy_async16(reinterpret_cast<char*>(st.g) + 16 * k, reinterpret_cast<const char*>(static_cast<const T*>(d.g) + base) + 16 * k);
        copy_async16(reinterpret_cast<char*>(st.p) + 16 * k, reinterpret_cast<const char*>(static_cast<const T*>(d.p) + base) + 16 * k);
    }
    const int half = lane % 16;  // 16 copies per code array
    const uint8_t* state1 = static_cast<const uint8_t*>(d.state1);
    if (lane < 16)
        copy_async16(st.codes[0] + 16 * half, state1 + base + 16 * half);
    else if (two_state(R))
        copy_async16(st.codes[1] + 16 * half, static_cast<const uint8_t*>(d.state2) + base + 16 * half);
    if (R == kAdemamix && lane < 16) copy_async16(st.codes[2] + 16 * half, state1 + d.n + base + 16 * half);
    if (lane == 16) copy_async4(&st.absmax[0], d.absmax1 + b);
    if (two_state(R) && lane == 0) copy_async4(&st.absmax[1], d.absmax2 + b);
    if (R == kAdemamix && lane == 17) copy_async4(&st.absmax[2], d.absmax1 + d.blocks + b);
    BNB_CP_ASYNC("cp.async.commit_group;" : : : "memory");
}

// Waits for this lane's copies, then for the warp's.
__device__ __forceinline__ void wait_staged() {
    BNB_CP_ASYNC("cp.async.wait_all;" : : : "memory");
    __syncwarp();
}

// Whether every gradient of the lane is plain for stage 1 (kPlain): not skipped (skip_zeros off; AdEMAMix
// never skips) and, for the two-state rules, finite. Finiteness is one chain of g * 0 + probe on the FMA
// pipe, NaN exactly when some g is infinite or NaN (the integer and logic pipe is this kernel's busiest).
template <int R, int kRows, int W>
__device__ __forceinline__ bool lane_plain(const Scalars& s, const float (&g)[kRows][W]) {
    if (s.skip_zeros && R != kAdemamix) return false;
    if (!two_state(R)) return true;
    float probe = 0.0f;
#pragma unroll
    for (int r = 0; r < kRows; ++r)
#pragma unroll
        for (int j = 0; j < W; ++j) probe = __fmaf_rn(g[r][j], 0.0f, probe);
    return probe == probe;
}

// Stage 2 of one element: the parameter update, given inv = 1 / denominator8 for the rules that divide.
template <int R, int32_t D>
__device__ __forceinline__ void update_parameter(const Scalars& s, const StepConstants& k, float us, const Pending& e,
                                                 float g, float& p, float m, float v, float m2, float inv) {
    if (two_state(R))
        stage2_two_state_inv<R, GpuRound<D>>(s, k, us, e, p, m, v, m2, inv);
    else
        stage2_one_state_inv<R, GpuRound<D>>(s, us, e, g, p, m, inv);
}

// One 8-bit state block: load, stage 1, the block's new absmax (all 256 lanes, those past n with the
// padding values), stage 2, requantization.
// staged: the block's copy in shared memory, or null to load it from global memory. stage_next() runs
// once the block is in registers (it may start filling the stage again).
template <int R, int32_t D, class StageNext>
__device__ __forceinline__ void update8_block(const View& d, int64_t b, const Scalars& s, float gs, float us,
                                              const Smem8& sm, const Requantizer& q, const Stage<D>* staged,
                                              StageNext stage_next, int lane) {
    using E = CudaElement<D>;
    using L = Layout<D>;
    using T = typename E::type;
    constexpr int W = L::W;
    constexpr int kRows = L::kRows;
    constexpr bool kTwo = two_state(R);
    constexpr bool kSlow = R == kAdemamix;
    T* p = static_cast<T*>(d.p);
    const T* g = static_cast<const T*>(d.g);
    uint8_t* c1 = static_cast<uint8_t*>(d.state1);
    uint8_t* c2 = kTwo ? static_cast<uint8_t*>(d.state2) : nullptr;
    uint8_t* c3 = kSlow ? c1 + d.n : nullptr;
    const int64_t base = b * kBlock;
    const bool vector = d.vector_ok && base + kBlock <= d.n;

    float gv[kRows][W], pv[kRows][W], m[kRows][W], v[kRows][W], m2[kRows][W];
    uint32_t q1[kRows][W / 4], q2[kRows][W / 4], q3[kRows][W / 4];
    float old1, old2 = 0.0f, old3 = 0.0f;
    if (staged) {
        wait_staged();
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int i = L::offset(lane, r);
            load_vector<D, false>(staged->g, i, gv[r]);
            load_vector<D, false>(staged->p, i, pv[r]);
            load_codes<W>(staged->codes[0], i, q1[r]);
            if (kTwo) load_codes<W>(staged->codes[1], i, q2[r]);
            if (kSlow) load_codes<W>(staged->codes[2], i, q3[r]);
        }
        old1 = staged->absmax[0];
        if (kTwo) old2 = staged->absmax[1];
        if (kSlow) old3 = staged->absmax[2];
        __syncwarp();  // every lane has read the stage
    } else if (vector) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = base + L::offset(lane, r);
            load_vector<D, true>(g, i, gv[r]);
            load_vector<D, false>(p, i, pv[r]);
            load_codes<W>(c1, i, q1[r]);
            if (kTwo) load_codes<W>(c2, i, q2[r]);
            if (kSlow) load_codes<W>(c3, i, q3[r]);
        }
    } else {
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
#pragma unroll
            for (int k = 0; k < W / 4; ++k) q1[r][k] = q2[r][k] = q3[r][k] = 0;
#pragma unroll
            for (int j = 0; j < W; ++j) {
                const int64_t i = base + L::offset(lane, r) + j;
                const bool real = i < d.n;
                gv[r][j] = real ? E::to_float(g[i]) : 0.0f;
                pv[r][j] = real ? E::to_float(p[i]) : 0.0f;
                const int shift = 8 * (j % 4);
                q1[r][j / 4] |= static_cast<uint32_t>(real ? c1[i] : kPadCode1) << shift;
                if (kTwo) q2[r][j / 4] |= static_cast<uint32_t>(real ? c2[i] : kPadCode2) << shift;
                if (kSlow) q3[r][j / 4] |= static_cast<uint32_t>(real ? c3[i] : kPadCode1) << shift;
            }
        }
    }
    if (!staged) {
        old1 = d.absmax1[b];
        if (kTwo) old2 = d.absmax2[b];
        if (kSlow) old3 = d.absmax1[d.blocks + b];
    }
    stage_next();

    // Pass 1: states and parameter (the parameter update does not need the new absmax). Rules that divide
    // by a root take the roots and reciprocals of the lane's elements together (rounded_roots.cuh).
    // Warps whose gradients are all plain (lane_plain()) take a copy without the selects for the others.
    float max1 = absmax_init(), max2 = absmax_init(), max3 = absmax_init();
    auto pass1 = [&](auto plain) {
        constexpr bool kPlain = decltype(plain)::value;
        Pending e[kRows][W];
#pragma unroll
        for (int r = 0; r < kRows; ++r)
#pragma unroll
            for (int j = 0; j < W; ++j) {
                m[r][j] = sm.codes[0][code_at(q1[r], j)] * old1;
                v[r][j] = kTwo ? sm.codes[1][code_at(q2[r], j)] * old2 : 0.0f;
                m2[r][j] = kSlow ? sm.codes[0][code_at(q3[r], j)] * old3 : 0.0f;
                if (kTwo)
                    e[r][j] = stage1_two_state<R, kPlain>(s, gs, gv[r][j], m[r][j], v[r][j], m2[r][j]);
                else
                    e[r][j] = stage1_one_state<R, GpuRound<D>, kPlain>(s, d.k, gs, gv[r][j], pv[r][j], m[r][j]);
                if (!divides8(R))
                    update_parameter<R, D>(s, d.k, us, e[r][j], gv[r][j], pv[r][j], m[r][j], v[r][j], m2[r][j], 0.0f);
                max1 = absmax_add(max1, m[r][j]);
                if (kTwo) max2 = absmax_add(max2, v[r][j]);
                if (kSlow) max3 = absmax_add(max3, m2[r][j]);
            }
        if (divides8(R)) {
            float root[kRows * W], inv[kRows * W];
#pragma unroll
            for (int r = 0; r < kRows; ++r)
#pragma unroll
                for (int j = 0; j < W; ++j) root[r * W + j] = root_input8<R>(m[r][j], v[r][j]);
            inverse_root_sums(root, denominator_term8<R>(s, d.k), inv);
#pragma unroll
            for (int r = 0; r < kRows; ++r)
#pragma unroll
                for (int j = 0; j < W; ++j)
                    update_parameter<R, D>(s, d.k, us, e[r][j], gv[r][j], pv[r][j], m[r][j], v[r][j], m2[r][j],
                                           inv[r * W + j]);
        }
    };
    if (__all_sync(kFull, lane_plain<R>(s, gv)))  // per warp: mixed lanes would run both copies
        pass1(std::true_type{});
    else
        pass1(std::false_type{});
    if (vector) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) store_vector<D>(p, base + L::offset(lane, r), pv[r]);
    } else {
#pragma unroll
        for (int r = 0; r < kRows; ++r)
#pragma unroll
            for (int j = 0; j < W; ++j)
                if (base + L::offset(lane, r) + j < d.n) p[base + L::offset(lane, r) + j] = E::from_float(pv[r][j]);
    }
    max1 = warp_absmax(max1);
    if (kTwo) max2 = warp_absmax(max2);
    if (kSlow) max3 = warp_absmax(max3);
    if (lane == 0) {
        d.absmax1[b] = max1;
        if (kTwo) d.absmax2[b] = max2;
        if (kSlow) d.absmax1[d.blocks + b] = max3;
    }
    const float inv1 = 1.0f / max1;
    const float inv2 = kTwo ? 1.0f / max2 : 0.0f;
    const float inv3 = kSlow ? 1.0f / max3 : 0.0f;

    // Pass 2: requantization with the new absmax.
    uint32_t o1[kRows][W / 4], o2[kRows][W / 4], o3[kRows][W / 4];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
        q.first_row(m[r], inv1, o1[r]);
        if (kTwo) q.second_row(v[r], inv2, o2[r]);
        if (kSlow) q.first_row(m2[r], inv3, o3[r]);
    }
    if (vector) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            const int64_t i = base + L::offset(lane, r);
            store_codes<W>(c1, i, o1[r]);
            if (kTwo) store_codes<W>(c2, i, o2[r]);
            if (kSlow) store_codes<W>(c3, i, o3[r]);
        }
    } else {
#pragma unroll
        for (int r = 0; r < kRows; ++r)
#pragma unroll
            for (int j = 0; j < W; ++j) {
                const int64_t i = base + L::offset(lane, r) + j;
                if (i >= d.n) continue;
                c1[i] = static_cast<uint8_t>(code_at(o1[r], j));
                if (kTwo) c2[i] = static_cast<uint8_t>(code_at(o2[r], j));
                if (kSlow) c3[i] = static_cast<uint8_t>(code_at(o3[r], j));
            }
    }
}

// 3 blocks per SM (80 registers): at 4 (64 registers) the two-state rules spill, and measured 5-10%
// slower on an H200.
template <int R, int32_t D>
__global__ void __launch_bounds__(kThreads, 3) update8_kernel(const DevChunk c, const Scalars s,
                                                          const StateTables* __restrict__ tables,
                                                          const float* __restrict__ qmap1,
                                                          const float* __restrict__ qmap2,
                                                          const float* __restrict__ gscale,
                                                          const float* __restrict__ uscale, bool stage_blocks) {
    constexpr bool kTwo = two_state(R);
    extern __shared__ __align__(16) unsigned char smem_raw[];
    Smem8& sm = *reinterpret_cast<Smem8*>(smem_raw);
    sm.codes[0][threadIdx.x] = qmap1[threadIdx.x];
    if (kTwo) sm.codes[1][threadIdx.x] = qmap2[threadIdx.x];
    auto copy = [](uint32_t* to, const uint32_t* from, int count) {
        for (int i = threadIdx.x; i < count / 4; i += kThreads)
            reinterpret_cast<uint4*>(to)[i] = __ldg(reinterpret_cast<const uint4*>(from) + i);
    };
    copy(sm.first, tables->first, kVectors<SignedStateTable::kEntries>);
    if (kTwo) copy(sm.second(), tables->second, kVectors<UnsignedStateTable::kEntries>);
    __syncthreads();
    const Requantizer q{sm.first, sm.second(), tables, nan_code_info(sm.codes[0][0])};
    Stage<D>& stage = reinterpret_cast<Stage<D>*>(smem_raw + kSmem8<kTwo>)[threadIdx.x / 32];

    // Each warp takes a contiguous range of state blocks, and stages each block while it works on the one
    // before (Stage).
    const int lane = threadIdx.x % 32;
    const int64_t total = c.start[c.count];
    const int64_t warps = int64_t{gridDim.x} * kWarps;
    const int64_t warp = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32;
    const int64_t first = total * warp / warps, last = total * (warp + 1) / warps;
    int t = 0;
    auto stage_from = [&](int64_t w, int hint) {  // starts staging block w, if it can be staged
        if (!stage_blocks || w >= last) return false;
        const int u = tensor_of(c, w, hint);
        const View d = view_of(c, u);
        if (!stageable(d, w - c.start[u])) return false;
        stage_block<R, D>(stage, d, w - c.start[u], lane);
        return true;
    };
    bool staged = stage_from(first, 0);
    for (int64_t w = first; w < last; ++w) {
        t = tensor_of(c, w, t);
        const View d = view_of(c, t);
        const int64_t b = w - c.start[t];
        const float gs = gscale ? gscale[t] : 1.0f;
        const float us = uscale ? uscale[t] : 1.0f;
        const bool current = staged;
        update8_block<R, D>(d, b, s, gs, us, sm, q, current ? &stage : nullptr, [&] {
            // The next block, most often of the same tensor, whose descriptor is at hand.
            if (stage_blocks && w + 1 < last && b + 1 < d.blocks) {
                staged = stageable(d, b + 1);
                if (staged) stage_block<R, D>(stage, d, b + 1, lane);
            } else {
                staged = stage_from(w + 1, t);
            }
        }, lane);
    }
}

// The tables of one call: a thread per step-table entry, padding included (the first-moment table, then,
// with a second book, the second-moment one; update8_kernel copies whole 16-byte vectors, so the padding
// is written too, as fallback entries); block 0 also writes the search tables.
constexpr int kFirstVectors = kVectors<SignedStateTable::kEntries>;
constexpr int kTableEntries = kFirstVectors + kVectors<UnsignedStateTable::kEntries>;

__global__ void __launch_bounds__(kThreads) build_state_tables_kernel(const float* __restrict__ qmap1,
                                                                     const float* __restrict__ qmap2,
                                                                     StateTables* __restrict__ tables) {
    __shared__ OptimCodeTable books[2];
    const int j = threadIdx.x;
    fill_optim_code_table(books[0], qmap1, j);
    if (qmap2) fill_optim_code_table(books[1], qmap2, j);
    if (blockIdx.x == 0) {
        fill_optim_code_table(tables->search[0], qmap1, j);
        if (qmap2) fill_optim_code_table(tables->search[1], qmap2, j);
    }
    const bool ordered = __syncthreads_and(sign_ordered_at(qmap1, j));
    const uint32_t negatives = static_cast<uint32_t>(__syncthreads_count(negative(qmap1[j])));
    const int i = blockIdx.x * kThreads + j;
    if (i < kFirstVectors) {
        const TablePivots r = table_pivots(books[0]);
        const bool regular = signed_table_regular(books[0], r, ordered, negatives);
        tables->first[i] = i < SignedStateTable::kEntries ? signed_state_entry(books[0], r, regular, i) : kStepFallback;
    } else if (qmap2 && i < kTableEntries) {
        const int k = i - kFirstVectors;
        tables->second[k] =
            k < UnsignedStateTable::kEntries ? unsigned_state_entry(books[1], table_pivots(books[1]), k) : kStepFallback;
    }
}

// ---- the pre-passes ------------------------------------------------------------------------------------

enum Pass { kGradNorm, kUpdateNorm };

// Per-tensor sums in double: kGradNorm sum g^2 into sum_a; kUpdateNorm sum u^2 into sum_a and sum p^2
// into sum_b. Each warp takes a contiguous range of state blocks and adds its sums to a tensor once,
// when it leaves the tensor.
template <int P, int R, int32_t D, int Bits>
__global__ void __launch_bounds__(kThreads) sums_kernel(const DevChunk c, const Scalars s,
                                                       const float* __restrict__ qmap1,
                                                       const float* __restrict__ qmap2,
                                                       const float* __restrict__ gscale, double* sum_a,
                                                       double* sum_b) {
    using E = CudaElement<D>;
    using T = typename E::type;
    __shared__ float q1s[256], q2s[256];
    if (P == kUpdateNorm && Bits == 8) {
        q1s[threadIdx.x] = qmap1[threadIdx.x];
        if (two_state(R)) q2s[threadIdx.x] = qmap2[threadIdx.x];
        __syncthreads();
    }
    const int lane = threadIdx.x % 32;
    const int64_t total = c.start[c.count];
    const int64_t warps = int64_t{gridDim.x} * kWarps;
    const int64_t warp = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32;
    const int64_t first = total * warp / warps, last = total * (warp + 1) / warps;
    if (first >= last) return;
    int t = tensor_of(c, first, 0);
    double a = 0.0, bsum = 0.0;
    auto flush = [&](int tensor) {
        a = warp_sum(a);
        bsum = warp_sum(bsum);
        if (lane == 0) {
            atomicAdd(sum_a + tensor, a);
            if (P == kUpdateNorm) atomicAdd(sum_b + tensor, bsum);
        }
        a = bsum = 0.0;
    };
    for (int64_t w = first; w < last; ++w) {
        if (w >= c.start[t + 1]) {
            flush(t);
            t = tensor_of(c, w, t + 1);
        }
        const View d = view_of(c, t);
        const int64_t b = w - c.start[t];
        const T* g = static_cast<const T*>(d.g);
        const int64_t end = min(d.n, (b + 1) * kBlock);
        if (P == kGradNorm) {
            for (int64_t i = b * kBlock + lane; i < end; i += 32) {
                const double x = E::to_float(g[i]);
                a += x * x;
            }
            continue;
        }
        const T* p = static_cast<const T*>(d.p);
        const float gs = gscale ? gscale[t] : 1.0f;
        const float old1 = Bits == 8 ? d.absmax1[b] : 0.0f;
        const float old2 = Bits == 8 && two_state(R) ? d.absmax2[b] : 0.0f;
        for (int64_t i = b * kBlock + lane; i < end; i += 32) {
            const float pv = E::to_float(p[i]);
            bsum += static_cast<double>(pv) * pv;
            const float graw = E::to_float(g[i]);
            float u2;
            if (Bits == 32) {
                const float m = static_cast<const float*>(d.state1)[i];
                const float v = two_state(R) ? static_cast<const float*>(d.state2)[i] : 0.0f;
                u2 = unorm_term32<R, GpuRound<D>>(s, d.k, gs, graw, m, v);
            } else {
                const float m = q1s[static_cast<const uint8_t*>(d.state1)[i]] * old1;
                const float v = two_state(R) ? q2s[static_cast<const uint8_t*>(d.state2)[i]] * old2 : 0.0f;
                u2 = unorm_term8<R>(s, d.k, gs, graw, m, v);
            }
            a += static_cast<double>(u2);
        }
    }
    flush(t);
}

// Percentile clipping, one warp per tensor: the gradient norm into the history (all 100 slots on step
// 1), then gnorm_scale from the history's percentile-th smallest value.
__global__ void __launch_bounds__(kThreads) clip_kernel(const DevAux a, int32_t percentile,
                                                       const double* __restrict__ gsum, float* __restrict__ gscale) {
    __shared__ float history[kWarps][kHistory];
    __shared__ float kth[kWarps];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int t = blockIdx.x * kWarps + warp;
    if (t >= a.count) return;
    float* h = a.gnorm[t];
    const int32_t step = a.step[t];
    const int slot = step % kHistory;
    const float norm_sq = static_cast<float>(gsum[t]);
    for (int i = lane; i < kHistory; i += 32) {
        const bool write = step == 1 || i == slot;
        const float value = write ? norm_sq : h[i];
        if (write) h[i] = value;
        history[warp][i] = value;
    }
    __syncwarp();
    for (int i = lane; i < kHistory; i += 32)
        if (sorted_rank(history[warp], kHistory, i) == percentile) kth[warp] = history[warp][i];
    __syncwarp();
    if (lane == 0) gscale[t] = clip_scale(history[warp][slot], kth[warp]);
}

// The update-norm cap, one thread per tensor: scratch = (sum u^2, sum p^2), and the update scale.
template <int R>
__global__ void cap_kernel(const DevAux a, const Scalars s, const double* __restrict__ usum,
                           const double* __restrict__ psum, float* __restrict__ uscale) {
    const int t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= a.count) return;
    const float u = static_cast<float>(usum[t]);
    const float p = static_cast<float>(psum[t]);
    float* scratch = a.scratch[t];
    scratch[0] = u;
    scratch[1] = p;
    // Adagrad and AdEMAMix fill scratch but, as upstream, take no update scale.
    uscale[t] = R != kAdagrad && R != kAdemamix ? update_scale(R, s, u, p) : 1.0f;
}

// ---- launching -------------------------------------------------------------------------------------------

// Thread blocks for a loop over `warps_wanted` warps of work: as many as are resident at once, no more.
template <typename Kernel>
bnb_status grid_for(Kernel kernel, int64_t warps_wanted, unsigned* grid, size_t smem = 0) {
    int device = 0, sms = 0, per_sm = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
    const int64_t wanted = (warps_wanted + kWarps - 1) / kWarps;
    *grid = static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(wanted, int64_t{sms} * std::max(per_sm, 1))));
    return BNB_OK;
}

// Whether update8_kernel stages blocks on this device: its code has cp.async (sm_80 on), and the SM's
// shared memory holds 3 blocks with their stages (an H200 does; GPUs with 100 KB per SM would drop to
// one block, and rather load directly).
template <typename Kernel>
bnb_status staging_fits(Kernel kernel, size_t tables, size_t stages, bool* fits) {
    cudaFuncAttributes attributes;
    BNB_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
    int device = 0, per_sm = 0, reserved = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&reserved, cudaDevAttrReservedSharedMemoryPerBlock, device));
    *fits = attributes.binaryVersion >= 80 && 3 * (tables + stages + static_cast<size_t>(reserved)) <= static_cast<size_t>(per_sm);
    return BNB_OK;
}

bool aligned(const void* a, size_t bytes) { return reinterpret_cast<uintptr_t>(a) % bytes == 0; }

// Per-tensor scratch of one call: the sums and the scales, indexed by the tensor's place in the plan.
struct Temp {
    double* gsum = nullptr;
    double* usum = nullptr;
    double* psum = nullptr;
    float* gscale = nullptr;
    float* uscale = nullptr;
    StateTables* tables = nullptr;  // 8-bit state
};

template <int R, int32_t D, int Bits>
bnb_status launch_chunk(const Plan& plan, size_t first, size_t count, const Temp& temp, cudaStream_t stream) {
    DevChunk c;
    memset(&c, 0, sizeof c);
    c.count = static_cast<int32_t>(count);
    c.start[0] = 0;
    DevAux aux;
    memset(&aux, 0, sizeof aux);
    aux.count = static_cast<int32_t>(count);
    constexpr size_t kParam = sizeof(typename CudaElement<D>::type);
    constexpr size_t kCodeAlign = Bits == 8 ? 16 / kParam : 16;  // W codes, or 16-byte float vectors
    for (size_t i = 0; i < count; ++i) {
        const TensorPlan& tp = plan.tensors[first + i];
        DevTensor& d = c.t[i];
        d.p = tp.p;
        d.g = tp.g;
        d.state1 = tp.state1;
        d.state2 = tp.state2;
        d.absmax1 = tp.absmax1;
        d.absmax2 = tp.absmax2;
        d.n = tp.n;
        d.k = tp.k;
        aux.scratch[i] = tp.scratch;
        aux.gnorm[i] = tp.gnorm;
        aux.step[i] = tp.k.step;
        const size_t state_size = Bits == 8 ? 1 : 4;
        const char* slow = static_cast<const char*>(tp.state1) + tp.n * state_size;
        d.vector_ok = aligned(tp.p, 16) && aligned(tp.g, 16) && aligned(tp.state1, kCodeAlign) &&
                      (!two_state(R) || aligned(tp.state2, kCodeAlign)) &&
                      (R != kAdemamix || aligned(slow, kCodeAlign));
        d.stage_ok = Bits == 8 && aligned(tp.p, 16) && aligned(tp.g, 16) && aligned(tp.state1, 16) &&
                     (!two_state(R) || aligned(tp.state2, 16)) && (R != kAdemamix || aligned(slow, 16));
        c.start[i + 1] = c.start[i] + tp.blocks;
    }
    const int64_t total = c.start[count];
    const Scalars& s = plan.s;
    const float* gscale = plan.clip ? temp.gscale + first : nullptr;
    const float* uscale = plan.cap ? temp.uscale + first : nullptr;
    unsigned grid = 0;
    if (plan.clip) {
        auto kernel = sums_kernel<kGradNorm, R, D, Bits>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, plan.qmap1, plan.qmap2, nullptr, temp.gsum + first, nullptr);
        BNB_CUDA_CHECK_LAUNCH("sums_kernel (gradient norm)");
        clip_kernel<<<static_cast<unsigned>((count + kWarps - 1) / kWarps), kThreads, 0, stream>>>(
            aux, s.percentile, temp.gsum + first, temp.gscale + first);
        BNB_CUDA_CHECK_LAUNCH("clip_kernel");
    }
    if (plan.cap) {
        auto kernel = sums_kernel<kUpdateNorm, R, D, Bits>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, plan.qmap1, plan.qmap2, gscale, temp.usum + first,
                                              temp.psum + first);
        BNB_CUDA_CHECK_LAUNCH("sums_kernel (update norm)");
        cap_kernel<R><<<static_cast<unsigned>((count + 63) / 64), 64, 0, stream>>>(
            aux, s, temp.usum + first, temp.psum + first, temp.uscale + first);
        BNB_CUDA_CHECK_LAUNCH("cap_kernel");
    }
    if (Bits == 32) {
        auto kernel = update32_kernel<R, D>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, gscale, uscale);
        BNB_CUDA_CHECK_LAUNCH("update32_kernel");
    } else {
        auto kernel = update8_kernel<R, D>;
        bool stage = false;
        BNB_TRY(staging_fits(kernel, kSmem8<two_state(R)>, kWarps * sizeof(Stage<D>), &stage));
        const size_t smem = kSmem8<two_state(R)> + (stage ? kWarps * sizeof(Stage<D>) : 0);
        BNB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
        BNB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                            cudaSharedmemCarveoutMaxShared));
        BNB_TRY(grid_for(kernel, total, &grid, smem));
        kernel<<<grid, kThreads, smem, stream>>>(c, s, temp.tables, plan.qmap1, plan.qmap2, gscale, uscale, stage);
        BNB_CUDA_CHECK_LAUNCH("update8_kernel");
    }
    return BNB_OK;
}

template <int R, int32_t D, int Bits>
bnb_status launch_all(const Plan& plan, const Temp& temp, cudaStream_t stream) {
    for (size_t first = 0; first < plan.tensors.size(); first += kChunk)
        BNB_TRY((launch_chunk<R, D, Bits>(plan, first, std::min<size_t>(kChunk, plan.tensors.size() - first), temp,
                                          stream)));
    return BNB_OK;
}

template <int32_t D, int Bits>
bnb_status launch_rule(const Plan& plan, const Temp& temp, cudaStream_t stream) {
    switch (plan.rule) {
        case kAdam: return launch_all<kAdam, D, Bits>(plan, temp, stream);
        case kAdemamix: return launch_all<kAdemamix, D, Bits>(plan, temp, stream);
        case kMomentum: return launch_all<kMomentum, D, Bits>(plan, temp, stream);
        case kRmsprop: return launch_all<kRmsprop, D, Bits>(plan, temp, stream);
        case kAdagrad: return launch_all<kAdagrad, D, Bits>(plan, temp, stream);
        case kLion: return launch_all<kLion, D, Bits>(plan, temp, stream);
        default: return BNB_FAIL(BNB_ERR_INTERNAL, "unknown optimizer rule %d", plan.rule);
    }
}

bnb_status run(const Plan& plan, cudaStream_t stream) {
    const size_t count = plan.tensors.size();
    if (count == 0) return BNB_OK;
    // One stream-ordered temporary allocation: the requantization tables (8-bit state), then the
    // per-tensor sums and scales (pre-passes).
    Temp temp;
    void* block = nullptr;
    const bool eight = plan.state_bits == 8, passes = plan.clip || plan.cap;
    if (eight || passes) {
        const size_t tables = eight ? sizeof(StateTables) : 0;
        const size_t bytes = tables + (passes ? count * (3 * sizeof(double) + 2 * sizeof(float)) : 0);
        BNB_CUDA_CHECK(cudaMallocAsync(&block, bytes, stream));
        char* at = static_cast<char*>(block);
        cudaError_t prepared = cudaSuccess;
        if (eight) {
            temp.tables = reinterpret_cast<StateTables*>(at);
            const int entries = plan.qmap2 ? kTableEntries : kFirstVectors;
            build_state_tables_kernel<<<(entries + kThreads - 1) / kThreads, kThreads, 0, stream>>>(
                plan.qmap1, plan.qmap2, temp.tables);
            prepared = cudaGetLastError();
        }
        if (passes && prepared == cudaSuccess) {
            temp.gsum = reinterpret_cast<double*>(at + tables);
            temp.usum = temp.gsum + count;
            temp.psum = temp.usum + count;
            temp.gscale = reinterpret_cast<float*>(temp.psum + count);
            temp.uscale = temp.gscale + count;
            prepared = cudaMemsetAsync(temp.gsum, 0, 3 * count * sizeof(double), stream);
        }
        if (prepared != cudaSuccess) {
            (void)cudaFreeAsync(block, stream);
            return cuda_fail(prepared, __FILE__, __LINE__, "preparing the temporary tables and sums");
        }
    }
    bnb_status status = dispatch_float_dtype("bnb_cuda_optimizer_step", plan.dtype, [&](auto tag) -> bnb_status {
        constexpr int32_t D = decltype(tag)::value;
        return plan.state_bits == 32 ? launch_rule<D, 32>(plan, temp, stream) : launch_rule<D, 8>(plan, temp, stream);
    });
    if (block) {
        cudaError_t freed = cudaFreeAsync(block, stream);  // also after a failed launch
        BNB_TRY(status);
        if (freed != cudaSuccess) return cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(temp)");
    }
    return status;
}

}  // namespace
}  // namespace optim
}  // namespace bnb

bnb_status bnbk_bnb_cuda_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits, int32_t count,
                                        const int64_t* p, const int64_t* g, const int64_t* state1,
                                        const int64_t* state2, const int64_t* absmax1, const int64_t* absmax2,
                                        const int64_t* scratch, const int64_t* gnorm, const int64_t* numel,
                                        const int32_t* step, const float* qmap1, const float* qmap2, float lr,
                                        float beta1, float beta2, float beta3, float alpha, float eps,
                                        float weight_decay, float max_unorm, int32_t percentile, int32_t skip_zeros,
                                        void* stream) {
    return BNB_GUARD({
        bnb::optim::Plan plan;
        BNB_TRY(bnb::optim::plan_optimizer_step("bnb_cuda_optimizer_step", optimizer, param_dtype, state_bits, count,
                                                p, g, state1, state2, absmax1, absmax2, scratch, gnorm, numel, step,
                                                qmap1, qmap2, lr, beta1, beta2, beta3, alpha, eps, weight_decay,
                                                max_unorm, percentile, skip_zeros, &plan));
        return bnb::optim::run(plan, static_cast<cudaStream_t>(stream));
    });
}
