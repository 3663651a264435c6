// The update kernel of 8-bit blockwise optimizer state (part of optimizer_step.cu): one warp per state
// block: dequantize, update, the new absmax, requantize through the step tables.
#pragma once

#include <type_traits>

#include "cuda/optim/staging.cuh"
#include "cuda/optim/state_tables.cuh"
#include "cuda/rounded_roots.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

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

}  // namespace
}  // namespace optim
}  // namespace bnb
