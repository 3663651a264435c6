// Staging of 8-bit state blocks in shared memory with cp.async (part of optimizer_step.cu).
#pragma once

#include "cuda/optim/device_tensors.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

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
        copy_async16(reinterpret_cast<char*>(st.g) + 16 * k,
                     reinterpret_cast<const char*>(static_cast<const T*>(d.g) + base) + 16 * k);
        copy_async16(reinterpret_cast<char*>(st.p) + 16 * k,
                     reinterpret_cast<const char*>(static_cast<const T*>(d.p) + base) + 16 * k);
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

}  // namespace
}  // namespace optim
}  // namespace bnb
