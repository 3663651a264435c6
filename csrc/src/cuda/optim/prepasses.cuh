// The pre-passes of an optimizer step (part of optimizer_step.cu): per-tensor sums for percentile
// clipping and the update-norm cap, and the kernels that turn them into scales.
#pragma once

#include "cuda/optim/device_tensors.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

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

}  // namespace
}  // namespace optim
}  // namespace bnb
