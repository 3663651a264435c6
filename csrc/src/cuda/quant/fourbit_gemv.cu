// The 4-bit matrix-vector product on the GPU: out[m, n] = A[m, k] * dequant(W)[n, k]^T (+ bias) for
// m <= 16, reading the packed weight once.
//
// One warp per output row j (a grid-stride loop over rows). When k is a multiple of 32 and the pointers
// are 16-byte aligned, every row starts on a 16-byte boundary of the packed weight, and each lane reads
// chunks of 32 codes (16 bytes, one scale: blocks hold at least 32 values and start on multiples of 32)
// kUnroll at a time, so that enough loads are in flight to run at the memory's bandwidth. Per chunk and
// input row, sum_k a[k] * value[code k] is formed in f32 and multiplied by the chunk's scale once; the
// lanes' partial sums meet by shuffles. The code values sit in shared memory (16 words: a broadcast per
// distinct code, no bank conflicts), the activations are read through the read-only cache, where every
// warp of the GPU finds them. Any other shape takes gemv_4bit_any_kernel, one value at a time.
#include <stdint.h>

#include "common/fourbit_args.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/quant/fourbit.cuh"
#include "cuda/quant/launch.cuh"

namespace bnb {
namespace {

constexpr int kWarps = kThreads / 32;
constexpr int kChunk = 32;  // codes per lane and step: 16 bytes
constexpr int kUnroll = 4;  // chunks in flight per lane

// 16 bytes of packed weight, read once: streaming (evict-first) load.
__device__ uint4 load_weight(const uint8_t* packed, int64_t byte) {
    return __ldcs(reinterpret_cast<const uint4*>(packed + byte));
}

// s += a[0..8) * values[codes of word], where word holds codes 8 consecutive values (byte b: values 2b
// in the high and 2b + 1 in the low nibble) and raw holds their 8 activations in dtype D.
template <int32_t D>
__device__ void dot8(uint32_t word, const uint4* a, const float* values, float& s);

template <>
__device__ void dot8<BNB_BF16>(uint32_t word, const uint4* a, const float* values, float& s) {
    const uint4 raw = __ldg(a);
    const uint32_t pairs[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int b = 0; b < 4; ++b) {
        const uint32_t byte = word >> (8 * b);
        s = fmaf(__uint_as_float(pairs[b] << 16), values[(byte >> 4) & 15u], s);
        s = fmaf(__uint_as_float(pairs[b] & 0xffff0000u), values[byte & 15u], s);
    }
}

template <>
__device__ void dot8<BNB_F16>(uint32_t word, const uint4* a, const float* values, float& s) {
    const uint4 raw = __ldg(a);
    const uint32_t pairs[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int b = 0; b < 4; ++b) {
        const uint32_t byte = word >> (8 * b);
        float x[2];
        CudaElement<BNB_F16>::unpack(pairs[b], x);
        s = fmaf(x[0], values[(byte >> 4) & 15u], s);
        s = fmaf(x[1], values[byte & 15u], s);
    }
}

template <>
__device__ void dot8<BNB_F32>(uint32_t word, const uint4* a, const float* values, float& s) {
    const uint4 lo = __ldg(a), hi = __ldg(a + 1);
    const float x[8] = {__uint_as_float(lo.x), __uint_as_float(lo.y), __uint_as_float(lo.z), __uint_as_float(lo.w),
                        __uint_as_float(hi.x), __uint_as_float(hi.y), __uint_as_float(hi.z), __uint_as_float(hi.w)};
#pragma unroll
    for (int b = 0; b < 4; ++b) {
        const uint32_t byte = word >> (8 * b);
        s = fmaf(x[2 * b], values[(byte >> 4) & 15u], s);
        s = fmaf(x[2 * b + 1], values[byte & 15u], s);
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

// k % 32 == 0, A and packed 16-byte aligned. M: rows of A rounded up to a power of two; m the real ones.
template <int32_t D, int M, bool Nested>
__global__ void __launch_bounds__(kThreads)
    gemv_4bit_kernel(int32_t quant_type, const typename CudaElement<D>::type* __restrict__ a,
                     const uint8_t* __restrict__ packed, ScaleArgs scale_args,
                     const typename CudaElement<D>::type* __restrict__ bias,
                     typename CudaElement<D>::type* __restrict__ out,
                     int m, int64_t n, int64_t k, int blocksize_log2) {
    // Activations per chunk as 16-byte vectors: 4 (16-bit) or 8 (f32).
    constexpr int kVectorsPerChunk = kChunk * sizeof(typename CudaElement<D>::type) / 16;
    __shared__ FourBitShared shared;
    load_four_bit_shared<Nested>(shared, quant_type, scale_args);
    const DeviceScales<Nested> scales(scale_args, shared);
    const int lane = threadIdx.x % 32;
    const int64_t chunks = k / kChunk;
    const uint4* a_vectors = reinterpret_cast<const uint4*>(a);
    const int64_t row_vectors = k * sizeof(typename CudaElement<D>::type) / 16;

    for (int64_t row = int64_t{blockIdx.x} * kWarps + threadIdx.x / 32; row < n; row += int64_t{gridDim.x} * kWarps) {
        float acc[M];
#pragma unroll
        for (int i = 0; i < M; ++i) acc[i] = 0.0f;
        const int64_t row_start = row * k;  // value index of W[row, 0]
        for (int64_t c0 = lane; c0 < chunks; c0 += 32 * kUnroll) {
            uint4 w[kUnroll];
            float scale[kUnroll];
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t c = c0 + 32 * u;
                const int64_t value = row_start + c * kChunk;
                w[u] = c < chunks ? load_weight(packed, value / 2) : make_uint4(0, 0, 0, 0);
                scale[u] = c < chunks ? scales(value >> blocksize_log2) : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < kUnroll; ++u) {
                const int64_t c = c0 + 32 * u;
                if (c >= chunks) break;
                const uint32_t words[4] = {w[u].x, w[u].y, w[u].z, w[u].w};
#pragma unroll
                for (int i = 0; i < M; ++i) {
                    // Rows past m (M is m rounded up) read row 0 again, which is there, and are not written.
                    const uint4* av = a_vectors + (i < m ? i : 0) * row_vectors + c * kVectorsPerChunk;
                    float s = 0.0f;
#pragma unroll
                    for (int q = 0; q < 4; ++q) dot8<D>(words[q], av + q * (kVectorsPerChunk / 4), shared.values, s);
                    acc[i] = fmaf(s, scale[u], acc[i]);
                }
            }
        }
        finish_row<D, M>(acc, bias, out, m, n, row);
    }
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
bnb_status launch_gemv(int32_t quant_type, const void* A, const uint8_t* packed, const ScaleArgs& scales,
                       const void* bias, void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize,
                       cudaStream_t stream) {
    using T = typename CudaElement<D>::type;
    const auto a = static_cast<const T*>(A);
    const auto b = static_cast<const T*>(bias);
    const auto o = static_cast<T*>(out);
    const int log2 = __builtin_ctzll(blocksize);
    const int64_t blocks = (n + kWarps - 1) / kWarps;
    const bool fast = k % kChunk == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                      reinterpret_cast<uintptr_t>(packed) % 16 == 0;
    unsigned grid = 0;
    if (!fast) {
        auto kernel = gemv_4bit_any_kernel<D, Nested>;
        BNB_TRY(resident_grid(kernel, blocks, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(quant_type, a, packed, scales, b, o, static_cast<int>(m), n, k, log2);
        BNB_CUDA_CHECK_LAUNCH("gemv_4bit_any_kernel");
        return BNB_OK;
    }
    auto launch = [&](auto kernel) -> bnb_status {
        BNB_TRY(resident_grid(kernel, blocks, &grid));
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

template <bool Nested>
bnb_status gemv(const char* function, int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                const ScaleArgs& scales, const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                int64_t blocksize, void* stream) {
    return dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
        return launch_gemv<decltype(tag)::value, Nested>(quant_type, A, packed, scales, bias, out, m, n, k, blocksize,
                                                         static_cast<cudaStream_t>(stream));
    });
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_gemv_4bit(int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                                   const float* absmax, const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                                   int64_t blocksize, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_gemv_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_CHECK_NOT_NULL(absmax);
            return bnb::gemv<false>(function, dtype, quant_type, A, packed, bnb::plain_scale_args(absmax), bias, out, m,
                                    n, k, blocksize, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_gemv_4bit_nested(int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                                          const bnb_4bit_nested_absmax* absmax, const void* bias, void* out, int64_t m,
                                          int64_t n, int64_t k, int64_t blocksize, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_gemv_4bit_nested";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_TRY(bnb::check_nested_absmax(function, absmax));
            return bnb::gemv<true>(function, dtype, quant_type, A, packed, bnb::nested_scale_args(*absmax), bias, out,
                                   m, n, k, blocksize, stream);
        });
    });
}
