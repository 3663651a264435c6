// The update kernel of 32-bit optimizer state (part of optimizer_step.cu): one warp per state block,
// vector loads where the block is whole and aligned, element-wise otherwise.
#pragma once

#include "cuda/optim/device_tensors.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

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

}  // namespace
}  // namespace optim
}  // namespace bnb
