// The 4-bit GEMV on tensor cores (sm_80 and newer, bf16/f16 inputs, k % 64 == 0, blocksize >= 64, A 16-byte
// and the packed weight 8-byte aligned): out[m, n] = A[m, k] * dequant(W)[n, k]^T (+ bias) for m <= 16.
//
// mma.sync m16n8k16 with the weight as the 16 x 16 A operand and up to 8 input rows as the 16 x 8 B operand
// (two mmas for 9..16 rows), so batch 8 costs the tensor core what batch 1 does. A CUDA block owns 16
// weight rows; lane (g = lane / 4, q = lane % 4) of each warp holds rows g and g + 8. A chunk is 64 codes
// (32 bytes) of a row: lane q takes its bytes 8q .. 8q + 7 (16 codes). mma's k order is free as long as
// both operands follow it, so a chunk's 4 mmas give lane q's k slots 2q, 2q + 1, 2q + 8, 2q + 9 the codes
// 4s .. 4s + 3 of its own 16 (step s), and lane (g, q) of B loads the 16 activations of exactly those
// columns of input row g with two 16-byte loads. A chunk lies in one block of the absmax (blocksize >= 64,
// k % 64 == 0), so its f32 sums are multiplied by their block scale once, in f32.
//
// The 8 warps split k in steps of C = kStepChunks chunks; each warp issues the loads of its next step (which
// may be in the block's next 16 rows) before it decodes and multiplies the current one. Lane (g, q) loads the raw
// scale sources of chunks q, q + 4, .. of rows g and g + 8 and hands the scales out by shuffles. The warps'
// sums meet in shared memory in a fixed order, so results are deterministic.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <atomic>

#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"
#include "cuda/quant/fourbit.cuh"
#include "cuda/quant/fourbit_decode.cuh"
#include "cuda/quant/launch.cuh"

namespace bnb {
namespace mma4 {

constexpr int kWarps = kThreads / 32;
constexpr int kTileRows = 16;     // weight rows per CUDA block and mma
constexpr int kChunkCodes = 64;   // codes per chunk of a row; k % kChunkCodes == 0
constexpr int kChunkBytes = 8;    // packed bytes per lane and chunk
constexpr int kLanesPerRow = 4;   // lanes sharing a row in the mma fragments
// Chunks per warp step: 2 KB of weight in flight per warp. 8 measured slower on the H200 at batch 16.
constexpr int kStepChunks = 4;

// Fragment registers of an f32-accumulating m16n8k16 mma on 16-bit operands of dtype D.
template <int32_t D>
__device__ void mma_16816(float (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                          uint32_t b1) {
#if __CUDA_ARCH__ >= 800
    if constexpr (D == BNB_BF16)
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
    else
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
            "{%0,%1,%2,%3};\n"
            : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
            : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#endif
}

// The source of one block scale, loaded ahead of its use: absmax[b] (plain) or codes[b] and
// absmax2[b / 256] (nested), turned into the scale by value().
template <bool Nested>
struct PendingScale {
    float absmax = 0.0f;  // plain: the scale; nested: absmax2
    uint32_t code = 0;

    __device__ void load(const ScaleArgs& s, int64_t b, bool valid) {
        if (!valid) return;  // a chunk past k: its activations are 0, any finite scale will do
        if constexpr (Nested) {
            code = __ldg(s.codes + b);
            absmax = __ldg(s.absmax2 + (b >> 8));
        } else {
            absmax = __ldg(s.absmax + b);
        }
    }
    __device__ float value(const float* nested_code, float offset) const {
        if constexpr (Nested)
            return nested_absmax(nested_code[code], absmax, offset);
        else
            return absmax;
    }
};

// One warp step's loads: kStepChunks chunks of rows g and g + 8, and this lane's scale sources.
template <bool Nested>
struct StepLoads {
    uint2 w[kStepChunks][2];
    PendingScale<Nested> scale[kStepChunks / kLanesPerRow][2];
};

template <int MT>
constexpr int kMinBlocks = MT == 1 ? 2 : 1;

// D: BNB_BF16 or BNB_F16. MT: 8-row tiles of A (1: m <= 8, 2: m <= 16).
template <int32_t D, int MT, bool Nested>
__global__ void __launch_bounds__(kThreads, kMinBlocks<MT>)
    gemv_4bit_mma_kernel(int32_t quant_type, const typename CudaElement<D>::type* __restrict__ a,
                         const uint8_t* __restrict__ packed, ScaleArgs scale_args,
                         const typename CudaElement<D>::type* __restrict__ bias,
                         typename CudaElement<D>::type* __restrict__ out, int m, int64_t n, int64_t k,
                         int blocksize_log2) {
#if __CUDA_ARCH__ >= 800
    constexpr int C = kStepChunks;
    static_assert(C % kLanesPerRow == 0, "whole scale slots per lane");
    using E = CudaElement<D>;
    using Decoder = SmemPairDecoder<D>;
    __shared__ FourBitShared shared;
    __shared__ typename Decoder::Shared decoder_shared;
    __shared__ float partial[kWarps][kTileRows][8 * MT];
    load_four_bit_shared<Nested>(shared, quant_type, scale_args);
    const Decoder decoder(decoder_shared, shared.values);
    const float offset = Nested ? __ldg(scale_args.offset) : 0.0f;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, g = lane / 4, q = lane % 4;
    const int64_t tiles = (n + kTileRows - 1) / kTileRows;
    const int64_t chunks = k / kChunkCodes;  // per row
    const int64_t steps = (chunks + C - 1) / C;

    // Rows past n read row n - 1 again, which is there, and are not written.
    auto load = [&](int64_t tile, int64_t step, StepLoads<Nested>& l) {
        int64_t row_value[2];
#pragma unroll
        for (int h = 0; h < 2; ++h) row_value[h] = min(tile * kTileRows + g + 8 * h, n - 1) * k;
#pragma unroll
        for (int j = 0; j < C; ++j) {
            const int64_t chunk = step * C + j;
#pragma unroll
            for (int h = 0; h < 2; ++h)
                l.w[j][h] = chunk < chunks ? __ldcs(reinterpret_cast<const uint2*>(
                                                 packed + (row_value[h] + chunk * kChunkCodes) / 2) + q)
                                           : make_uint2(0u, 0u);
        }
#pragma unroll
        for (int i = 0; i < C / kLanesPerRow; ++i) {
            const int64_t chunk = step * C + i * kLanesPerRow + q;
#pragma unroll
            for (int h = 0; h < 2; ++h)
                l.scale[i][h].load(scale_args, (row_value[h] + chunk * kChunkCodes) >> blocksize_log2,
                                   chunk < chunks);
        }
    };

    auto compute = [&](int64_t step, const StepLoads<Nested>& l, float (&acc)[MT][4]) {
        float scale[C / kLanesPerRow][2];
#pragma unroll
        for (int i = 0; i < C / kLanesPerRow; ++i)
#pragma unroll
            for (int h = 0; h < 2; ++h) scale[i][h] = l.scale[i][h].value(shared.nested_code, offset);
#pragma unroll
        for (int j = 0; j < C; ++j) {
            const int64_t chunk = step * C + j;
            if (chunk >= chunks) break;  // the same for the whole warp
            // Activation pairs of columns 16q .. 16q + 15 of the chunk, input rows g + 8 mt (0 past m).
            uint32_t x[MT][8];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                const int row = g + 8 * mt;
                uint4 v0 = make_uint4(0u, 0u, 0u, 0u), v1 = v0;
                if (row < m) {
                    const uint4* p = reinterpret_cast<const uint4*>(a + row * k + chunk * kChunkCodes + 16 * q);
                    v0 = __ldg(p);
                    v1 = __ldg(p + 1);
                }
                const uint32_t words[8] = {v0.x, v0.y, v0.z, v0.w, v1.x, v1.y, v1.z, v1.w};
#pragma unroll
                for (int i = 0; i < 8; ++i) x[mt][i] = words[i];
            }
            uint32_t w0[8], w1[8];
            decoder.decode(l.w[j][0], w0);
            decoder.decode(l.w[j][1], w1);
            float c[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
                for (int i = 0; i < 4; ++i) c[mt][i] = 0.0f;
#pragma unroll
                for (int s = 0; s < 4; ++s)
                    mma_16816<D>(c[mt], w0[2 * s], w1[2 * s], w0[2 * s + 1], w1[2 * s + 1], x[mt][2 * s],
                                 x[mt][2 * s + 1]);
            }
            const int source = g * kLanesPerRow + j % kLanesPerRow;
            const float s0 = __shfl_sync(0xffffffffu, scale[j / kLanesPerRow][0], source);
            const float s1 = __shfl_sync(0xffffffffu, scale[j / kLanesPerRow][1], source);
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                acc[mt][0] = fmaf(c[mt][0], s0, acc[mt][0]);
                acc[mt][1] = fmaf(c[mt][1], s0, acc[mt][1]);
                acc[mt][2] = fmaf(c[mt][2], s1, acc[mt][2]);
                acc[mt][3] = fmaf(c[mt][3], s1, acc[mt][3]);
            }
        }
    };

    const bool busy = warp < steps;  // k is the same for every tile: a warp without a first step has none
    StepLoads<Nested> current, next;
    if (busy && blockIdx.x < tiles) load(blockIdx.x, warp, current);
    for (int64_t tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        float acc[MT][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int i = 0; i < 4; ++i) acc[mt][i] = 0.0f;
        if (busy) {
            for (int64_t step = warp; step < steps; step += kWarps) {
                const bool same_tile = step + kWarps < steps;
                const int64_t next_tile = same_tile ? tile : tile + gridDim.x;
                if (next_tile < tiles) load(next_tile, same_tile ? step + kWarps : warp, next);
                compute(step, current, acc);
                current = next;
            }
        }
        // C fragment: c0, c1 at (row g, input rows 2q, 2q + 1), c2, c3 at row g + 8.
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int i = 0; i < 4; ++i) partial[warp][g + 8 * (i / 2)][8 * mt + 2 * q + i % 2] = acc[mt][i];
        __syncthreads();
        if (threadIdx.x < kTileRows * 8 * MT) {
            const int r = threadIdx.x % kTileRows, i = threadIdx.x / kTileRows;
            const int64_t row = tile * kTileRows + r;
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) sum += partial[w][r][i];
            if (i < m && row < n)
                out[i * n + row] = E::from_float(sum + (bias != nullptr ? E::to_float(bias[row]) : 0.0f));
        }
        __syncthreads();  // the next tile rewrites partial
    }
#endif
}

// Whether gemv_4bit_mma_kernel takes this product on a device of compute capability major.x.
inline bool mma_applies(int32_t dtype, const void* A, const uint8_t* packed, int64_t k, int64_t blocksize,
                        int major) {
    return major >= 8 && (dtype == BNB_BF16 || dtype == BNB_F16) && k % kChunkCodes == 0 && blocksize >= kChunkCodes &&
           reinterpret_cast<uintptr_t>(A) % 16 == 0 && reinterpret_cast<uintptr_t>(packed) % kChunkBytes == 0;
}

// Launches the MT instance on a balanced grid over the 16-row tiles. The blocks that fit on an SM are asked
// of the runtime once per device (the query costs microseconds of host time, as long as a small gemv runs).
template <int32_t D, int MT, bool Nested>
bnb_status launch_gemv_mma_tiles(int32_t quant_type, const void* A, const uint8_t* packed, const ScaleArgs& scales,
                                 const void* bias, void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize,
                                 cudaStream_t stream) {
    using T = typename CudaElement<D>::type;
    constexpr int kDevices = 64;
    static std::atomic<int> per_sm_known[kDevices];  // 0: not asked yet
    const auto kernel = gemv_4bit_mma_kernel<D, MT, Nested>;
    int device = 0, sms = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    int per_sm = device < kDevices ? per_sm_known[device].load(std::memory_order_relaxed) : 0;
    if (per_sm == 0) {
        BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
        per_sm = std::max(per_sm, 1);
        if (device < kDevices) per_sm_known[device].store(per_sm, std::memory_order_relaxed);
    }
    // Every block gets the same number of tiles (see balanced_grid).
    const int64_t tiles = (n + kTileRows - 1) / kTileRows, resident = int64_t{sms} * per_sm;
    const int64_t rounds = (tiles + resident - 1) / resident;
    const auto grid = static_cast<unsigned>((tiles + rounds - 1) / rounds);
    kernel<<<grid, kThreads, 0, stream>>>(quant_type, static_cast<const T*>(A), packed, scales,
                                          static_cast<const T*>(bias), static_cast<T*>(out), static_cast<int>(m), n,
                                          k, __builtin_ctzll(blocksize));
    BNB_CUDA_CHECK_LAUNCH("gemv_4bit_mma_kernel");
    return BNB_OK;
}

// D: BNB_BF16 or BNB_F16; mma_applies must hold.
template <int32_t D, bool Nested>
bnb_status launch_gemv_mma(int32_t quant_type, const void* A, const uint8_t* packed, const ScaleArgs& scales,
                           const void* bias, void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize,
                           cudaStream_t stream) {
    if (m <= 8)
        return launch_gemv_mma_tiles<D, 1, Nested>(quant_type, A, packed, scales, bias, out, m, n, k, blocksize,
                                                   stream);
    return launch_gemv_mma_tiles<D, 2, Nested>(quant_type, A, packed, scales, bias, out, m, n, k, blocksize, stream);
}

}  // namespace mma4
}  // namespace bnb
