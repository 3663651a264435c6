// The 4-bit matrix-vector product on the CUDA cores: out[m, n] = A[m, k] * dequant(W)[n, k]^T (+ bias)
// for m <= 16, reading the packed weight once, with f32 table values. fourbit_gemv.cu uses it where the
// tensor-core kernel (fourbit_gemv_mma.cuh) does not apply: f32 inputs, GPUs before sm_80, other shapes.
//
// Fast kernel (k % 32 == 0, A and the packed weight 16-byte aligned): a CUDA block owns kGemvRows weight
// rows and its 8 warps split k between them. A warp step covers 256 columns: lane l takes the 8 codes of
// one 32-bit packed word per weight row (a coalesced 128-byte load per row) and the 8 activations of those
// columns per input row (one coalesced 16-byte load, used for all kGemvRows weight rows). Each code is
// looked up once (16 f32 values in shared memory: a broadcast per distinct code, no bank conflicts) and
// used for all m input rows. Per word, row and input row, sum a * value[code] is formed in f32 and
// multiplied by the block scale once. A scale is computed once per 32 codes by one lane and handed to
// the lanes that need it by a shuffle, so nested absmax costs little more than plain. kGemvSteps steps of
// loads are issued before any is used, so that enough bytes are in flight to run at the memory's
// bandwidth. Any other shape takes gemv_4bit_any_kernel, one value at a time.
#pragma once

#include <stdint.h>

#include "common/fourbit_args.h"
#include "cuda/elements.cuh"
#include "cuda/quant/fourbit.cuh"
#include "cuda/quant/launch.cuh"

namespace bnb {
namespace simt4 {

constexpr int kWarps = kThreads / 32;
constexpr int kChunk = 32;        // the fast kernel needs k % kChunk == 0 (one scale per 4 lanes' codes)
constexpr int kGemvRows = 4;      // weight rows per CUDA block; kGemvRows * 8 = 32 scale slots per step
constexpr int kWordCodes = 8;     // codes in a 32-bit packed word
constexpr int kStepWords = 32;    // words per warp step: one per lane
static_assert(kGemvRows * kStepWords * kWordCodes / kChunk == 32, "one scale slot per lane and step");

// Steps per warp whose loads are in flight together, and blocks per SM to ask the compiler for: larger
// batches need more registers for their sums.
template <int M>
constexpr int kGemvSteps = M >= 8 ? 2 : 4;
template <int M>
constexpr int kGemvMinBlocks = M == 1 ? 3 : M <= 8 ? 2 : 1;

// x = a[i .. i + 8) as floats (i a multiple of 8, a + i 16-byte aligned), or 0s when !valid.
template <int32_t D>
__device__ void load_activations(const typename CudaElement<D>::type* a, int64_t i, bool valid, float (&x)[8]) {
    const uint4 zero = make_uint4(0, 0, 0, 0);
    const uint4* v = reinterpret_cast<const uint4*>(a + i);
    if constexpr (D == BNB_F32) {
        float lo[4], hi[4];
        unpack_floats<D>(valid ? __ldg(v) : zero, lo);
        unpack_floats<D>(valid ? __ldg(v + 1) : zero, hi);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            x[j] = lo[j];
            x[4 + j] = hi[j];
        }
    } else {
        unpack_floats<D>(valid ? __ldg(v) : zero, x);
    }
}

// v = the values of the 8 codes of word (byte b: code 2b in the high nibble, 2b + 1 in the low one).
// The nibbles become byte offsets into the 16-float table in two operations per 4 codes.
__device__ void decode_word(uint32_t word, const float* values, float (&v)[8]) {
    const uint32_t high = (word >> 2) & 0x3c3c3c3cu;  // 4 * high nibble, per byte
    const uint32_t low = (word << 2) & 0x3c3c3c3cu;   // 4 * low nibble, per byte
    const char* table = reinterpret_cast<const char*>(values);
#pragma unroll
    for (int b = 0; b < 4; ++b) {
        v[2 * b] = *reinterpret_cast<const float*>(table + ((high >> (8 * b)) & 0xffu));
        v[2 * b + 1] = *reinterpret_cast<const float*>(table + ((low >> (8 * b)) & 0xffu));
    }
}

// The warp sum of v[lane / 8], in every lane: two exchange steps halve the values each lane holds (lanes
// 0-15 keep rows 0-1, then lanes 0-7 keep row 0, ...), three plain steps finish the sum within 8 lanes.
__device__ float warp_sum_rows(const float (&v)[kGemvRows]) {
    static_assert(kGemvRows == 4, "two exchange steps");
    const int lane = threadIdx.x % 32;
    const bool upper = lane & 16;
    float keep0 = upper ? v[2] : v[0], keep1 = upper ? v[3] : v[1];
    keep0 += __shfl_xor_sync(0xffffffffu, upper ? v[0] : v[2], 16);
    keep1 += __shfl_xor_sync(0xffffffffu, upper ? v[1] : v[3], 16);
    const bool odd = lane & 8;
    float sum = odd ? keep1 : keep0;
    sum += __shfl_xor_sync(0xffffffffu, odd ? keep0 : keep1, 8);
#pragma unroll
    for (int o = 4; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o);
    return sum;
}

// k % 32 == 0, A and packed 16-byte aligned. M: rows of A rounded up to a power of two; m the real ones.
template <int32_t D, int M, bool Nested>
__global__ void __launch_bounds__(kThreads, kGemvMinBlocks<M>)
    gemv_4bit_kernel(int32_t quant_type, const typename CudaElement<D>::type* __restrict__ a,
                     const uint8_t* __restrict__ packed, ScaleArgs scale_args,
                     const typename CudaElement<D>::type* __restrict__ bias,
                     typename CudaElement<D>::type* __restrict__ out, int m, int64_t n, int64_t k,
                     int blocksize_log2) {
    using E = CudaElement<D>;
    constexpr int U = kGemvSteps<M>;
    __shared__ FourBitShared shared;
    __shared__ float partial[kWarps][M][kGemvRows];
    load_four_bit_shared<Nested>(shared, quant_type, scale_args);
    const DeviceScales<Nested> scales(scale_args, shared);
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    const int64_t words = k / kWordCodes;  // per weight row
    const int64_t steps = (words + kStepWords - 1) / kStepWords;
    const uint32_t* packed_words = reinterpret_cast<const uint32_t*>(packed);

    for (int64_t row0 = int64_t{blockIdx.x} * kGemvRows; row0 < n; row0 += int64_t{gridDim.x} * kGemvRows) {
        // Rows past n read row n - 1 again, which is there, and are not written.
        const uint32_t* row_words[kGemvRows];
#pragma unroll
        for (int r = 0; r < kGemvRows; ++r) row_words[r] = packed_words + min(row0 + r, n - 1) * words;
        // Scale slot of this lane: weight row lane / 8, codes 32 * (lane % 8) .. of each step.
        const int64_t slot_row_value = min(row0 + lane / 8, n - 1) * k;
        float acc[M][kGemvRows];
#pragma unroll
        for (int i = 0; i < M; ++i)
#pragma unroll
            for (int r = 0; r < kGemvRows; ++r) acc[i][r] = 0.0f;

        for (int64_t s0 = warp; s0 < steps; s0 += kWarps * U) {
            uint32_t w[U][kGemvRows];
            float slot[U];
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int64_t step_word = (s0 + u * kWarps) * kStepWords;
                const bool valid = step_word + lane < words;
#pragma unroll
                for (int r = 0; r < kGemvRows; ++r) w[u][r] = valid ? __ldcs(row_words[r] + step_word + lane) : 0u;
                const int64_t slot_word = step_word + kChunk / kWordCodes * (lane % 8);
                slot[u] = slot_word < words ? scales((slot_row_value + slot_word * kWordCodes) >> blocksize_log2)
                                            : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < U; ++u) {
                const int64_t step_word = (s0 + u * kWarps) * kStepWords;
                if (step_word >= words) break;  // the same for the whole warp
                const bool valid = step_word + lane < words;
                float v[kGemvRows][kWordCodes], scale[kGemvRows];
#pragma unroll
                for (int r = 0; r < kGemvRows; ++r) {
                    decode_word(w[u][r], shared.values, v[r]);
                    scale[r] = __shfl_sync(0xffffffffu, slot[u], r * 8 + lane / 4);
                }
#pragma unroll
                for (int i = 0; i < M; ++i) {
                    // Rows past m (M is m rounded up) read row 0 again and are not written. Lanes past the
                    // row's end see activations 0, so their (finite) codes and scales add nothing.
                    float x[kWordCodes];
                    load_activations<D>(a, (i < m ? i : 0) * k + (step_word + lane) * kWordCodes, valid, x);
#pragma unroll
                    for (int r = 0; r < kGemvRows; ++r) {
                        float s = x[0] * v[r][0];
#pragma unroll
                        for (int j = 1; j < kWordCodes; ++j) s = fmaf(x[j], v[r][j], s);
                        acc[i][r] = fmaf(s, scale[r], acc[i][r]);
                    }
                }
            }
        }

        // Sum over the lanes, then over the warps in a fixed order.
#pragma unroll
        for (int i = 0; i < M; ++i) {
            const float sum = warp_sum_rows(acc[i]);
            if (lane % 8 == 0) partial[warp][i][lane / 8] = sum;
        }
        __syncthreads();
        if (threadIdx.x < M * kGemvRows) {
            const int i = threadIdx.x / kGemvRows, r = threadIdx.x % kGemvRows;
            const int64_t row = row0 + r;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < kWarps; ++j) sum += partial[j][i][r];
            if (i < m && row < n)
                out[i * n + row] = E::from_float(sum + (bias != nullptr ? E::to_float(bias[row]) : 0.0f));
        }
        __syncthreads();  // the next rows rewrite partial
    }
}

// Sums acc over the warp and writes out[i, row] (+ bias) for i < m: lane i writes row i.
template <int32_t D, int M>
__device__ void finish_row(float (&acc)[M], const typename CudaElement<D>::type* bias,
                           typename CudaElement<D>::type* out, int m, int64_t n, int64_t row) {
    using E = CudaElement<D>;
    const int lane = threadIdx.x % 32;
    float mine = 0.0f;
#pragma unroll
    for (int i = 0; i < M; ++i) {
#pragma unroll
        for (int o = 16; o > 0; o /= 2) acc[i] += __shfl_xor_sync(0xffffffffu, acc[i], o);
        if (lane == i) mine = acc[i];
    }
    if (lane < m) out[lane * n + row] = E::from_float(mine + (bias != nullptr ? E::to_float(bias[row]) : 0.0f));
}

// Any k and alignment: each lane takes every 32nd value of the row, one nibble at a time.
template <int32_t D, bool Nested>
__global__ void __launch_bounds__(kThreads)
    gemv_4bit_any_kernel(int32_t quant_type, const typename CudaElement<D>::type* __restrict__ a,
                         const uint8_t* __restrict__ packed, ScaleArgs scale_args,
                         const typename CudaElement<D>::type* __restrict__ bias,
                         typename CudaElement<D>::type* __restrict__ out, int m, int64_t n, int64_t k,
                         int blocksize_log2) {
    using E = CudaElement<D>;
    __shared__ FourBitShared shared;
    load_four_bit_shared<Nested>(shared, quant_type, scale_args);
    const DeviceScales<Nested> scales(scale_args, shared);
    const int lane = threadIdx.x % 32;
    for (int64_t row = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32; row < n; row += int64_t{gridDim.x} * kWarps) {
        float acc[BNB_GEMV_4BIT_MAX_ROWS];
#pragma unroll
        for (int i = 0; i < BNB_GEMV_4BIT_MAX_ROWS; ++i) acc[i] = 0.0f;
        for (int64_t kk = lane; kk < k; kk += 32) {
            const int64_t value = row * k + kk;
            const uint32_t byte = __ldg(packed + value / 2);
            const float w = shared.values[value % 2 == 0 ? byte >> 4 : byte & 15u] * scales(value >> blocksize_log2);
#pragma unroll
            for (int i = 0; i < BNB_GEMV_4BIT_MAX_ROWS; ++i)
                if (i < m) acc[i] = fmaf(E::to_float(a[i * k + kk]), w, acc[i]);
        }
        finish_row<D, BNB_GEMV_4BIT_MAX_ROWS>(acc, bias, out, m, n, row);
    }
}

template <int32_t D, bool Nested>
bnb_status launch_gemv_simt(int32_t quant_type, const void* A, const uint8_t* packed, const ScaleArgs& scales,
                            const void* bias, void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize,
                            cudaStream_t stream) {
    using T = typename CudaElement<D>::type;
    const auto a = static_cast<const T*>(A);
    const auto b = static_cast<const T*>(bias);
    const auto o = static_cast<T*>(out);
    const int log2 = __builtin_ctzll(blocksize);
    const bool fast = k % kChunk == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                      reinterpret_cast<uintptr_t>(packed) % 16 == 0;
    unsigned grid = 0;
    if (!fast) {
        auto kernel = gemv_4bit_any_kernel<D, Nested>;
        BNB_TRY(resident_grid(kernel, (n + kWarps - 1) / kWarps, &grid));  // a warp per row
        kernel<<<grid, kThreads, 0, stream>>>(quant_type, a, packed, scales, b, o, static_cast<int>(m), n, k, log2);
        BNB_CUDA_CHECK_LAUNCH("gemv_4bit_any_kernel");
        return BNB_OK;
    }
    auto launch = [&](auto kernel) -> bnb_status {
        BNB_TRY(resident_grid(kernel, (n + kGemvRows - 1) / kGemvRows, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(quant_type, a, packed, scales, b, o, static_cast<int>(m), n, k, log2);
        BNB_CUDA_CHECK_LAUNCH("gemv_4bit_kernel");
        return BNB_OK;
    };
    if (m <= 1) return launch(gemv_4bit_kernel<D, 1, Nested>);
    if (m <= 2) return launch(gemv_4bit_kernel<D, 2, Nested>);
    if (m <= 4) return launch(gemv_4bit_kernel<D, 4, Nested>);
    if (m <= 8) return launch(gemv_4bit_kernel<D, 8, Nested>);
    return launch(gemv_4bit_kernel<D, 16, Nested>);
}

}  // namespace simt4
}  // namespace bnb
