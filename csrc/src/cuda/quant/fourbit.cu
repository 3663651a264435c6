// NF4/FP4 blockwise quantization on the GPU, bit for bit what cpu/fourbit.cpp computes.
//
// Both kernels loop over tiles (grid-stride over resident blocks, as many tiles per block). A tile is a
// few rows of one 16-byte vector of values per thread: value v of thread t in row r is
// tile_start + r * kThreads * W + t * W + v, so every load and store of a warp covers one contiguous
// range, and a thread's W values fill W / 2 whole bytes of the packed output. The quant type is a
// template argument: only its search is compiled into the loop.
#include <float.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "common/fourbit_args.h"
#include "common/fourbit_step_table.h"
#include "cuda/entry_points.h"
#include "cuda/quant/fourbit.cuh"
#include "cuda/quant/launch.cuh"
#include "cuda/quant/vectors.cuh"

namespace bnb {
namespace {

// The kernels of this file won the H200 measurement of their candidates (docs/DECISIONS.md, quant4-perf):
// quantization searches NF4 in its step table and loads a thread's next tile before it searches this one;
// dequantization takes 16 rows per thread and stores its output cached.

// Quantization: each thread holds its tile and the next one, 64 bytes each: four 16-byte vectors of f32 or two
// of a 16-bit dtype (within 64 registers). A tile holds at least the largest block.
template <int32_t D>
constexpr int kQuantizeVectors = kVectorWidth<D> == 8 ? 2 : 4;

// How the quantization blocks of size BS lie on a tile of dtype D.
template <int32_t D, int BS>
struct FourBitShape {
    static constexpr int W = kVectorWidth<D>;
    static constexpr int kRows = kQuantizeVectors<D>;
    static constexpr int kRow = kThreads * W;                         // values in a row
    static constexpr int kTile = kRow * kRows;
    static constexpr int kRowsPerBlock = BS > kRow ? BS / kRow : 1;   // a block spans rows,
    static constexpr int kGroups = kRows / kRowsPerBlock;             // or a row holds blocks
    static constexpr int kThreadsPerBlock = BS > kRow ? kThreads : BS / W;
    static constexpr int kLanes = kThreadsPerBlock < 32 ? kThreadsPerBlock : 32;  // shuffle width
    static constexpr int kWarpsPerBlock = kThreadsPerBlock / 32;      // 0 when a warp holds blocks
    static_assert(kTile % BS == 0 && BS % W == 0, "blocks must tile the tile");
};

// The 16 bytes of values i .. i + W of dtype D as they are stored; zero bits (+0.0) past n.
template <int32_t D>
__device__ __forceinline__ uint4 load_raw_padded(const typename CudaElement<D>::type* a, int64_t i, int64_t n,
                                                 bool aligned) {
    constexpr int W = kVectorWidth<D>;
    if (aligned && i + W <= n) return load_raw<D>(a, i);
    using Bits = std::conditional_t<W == 8, uint16_t, uint32_t>;
    Bits e[W];
#pragma unroll
    for (int v = 0; v < W; ++v) e[v] = i + v < n ? reinterpret_cast<const Bits*>(a)[i + v] : Bits{0};
    uint4 raw;
    memcpy(&raw, e, sizeof raw);
    return raw;
}

// max |x| over the values of rows [r0, r0 + count) of raw, NaN ignored as fmaxf ignores it, -FLT_MAX when all
// are NaN: so fmaxf from -FLT_MAX over the threads' results is upstream's block maximum. 16-bit values are
// compared two at a time in their own type (exact; __hmax2 also returns the operand that is not NaN).
template <int32_t D, int R>
__device__ __forceinline__ float raw_absmax(const uint4 (&raw)[R], int r0, int count) {
    if constexpr (D == BNB_F32) {
        float m = -FLT_MAX;
#pragma unroll
        for (int r = r0; r < r0 + count; ++r)
            for (uint32_t w : {raw[r].x, raw[r].y, raw[r].z, raw[r].w}) m = fmaxf(m, fabsf(__uint_as_float(w)));
        return m;
    } else {
        using Pair = std::conditional_t<D == BNB_BF16, __nv_bfloat162, __half2>;
        auto pair = [](uint32_t w) {
            Pair p;
            memcpy(&p, &w, sizeof w);
            return __habs2(p);
        };
        Pair m = pair(raw[r0].x);
#pragma unroll
        for (int r = r0; r < r0 + count; ++r)
            for (uint32_t w : {raw[r].x, raw[r].y, raw[r].z, raw[r].w}) m = __hmax2(m, pair(w));
        const float f = CudaElement<D>::to_float(__hmax(m.x, m.y));
        return f != f ? -FLT_MAX : f;
    }
}

// packed[i / 2 ..] = the W codes q (value i is the first, in a high nibble).
template <int W>
__device__ __forceinline__ void store_packed(uint8_t* packed, int64_t i, int64_t n, bool aligned,
                                             const uint32_t (&q)[W]) {
    uint32_t word = 0;  // byte j = q[2j] << 4 | q[2j + 1], little-endian
#pragma unroll
    for (int j = 0; j < W / 2; ++j) word |= (q[2 * j] << 4 | q[2 * j + 1]) << (8 * j);
    if (aligned && i + W <= n) {
        if constexpr (W == 8)
            *reinterpret_cast<uint32_t*>(packed + i / 2) = word;
        else
            *reinterpret_cast<uint16_t*>(packed + i / 2) = static_cast<uint16_t>(word);
    } else {
        const int64_t bytes = (n + 1) / 2;  // an odd n keeps its last byte, padded
#pragma unroll
        for (int j = 0; j < W / 2; ++j)
            if (i / 2 + j < bytes) packed[i / 2 + j] = static_cast<uint8_t>(word >> (8 * j));
    }
}

// q = quantize_nf4 of y read off its step table (Nf4FullTable, common/fourbit_step_table.h): all loads first,
// and the tree only where an entry falls back (NaN, +inf). Written out rather than common/step_table.h's
// step_lookup, so that the table needs no usable() and nothing goes to the stack.
template <int W>
__device__ __forceinline__ void nf4_stepped(const uint32_t* entries, const float* thresholds, const float (&y)[W],
                                            uint32_t (&q)[W]) {
    uint32_t b[W], e[W];
#pragma unroll
    for (int v = 0; v < W; ++v) {
        b[v] = __float_as_uint(y[v]);
        e[v] = *reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(entries) +
                                                  Nf4FullTable::byte_offset(b[v]));
    }
    uint32_t all = kStepValid;
#pragma unroll
    for (int v = 0; v < W; ++v) {
        q[v] = Nf4FullTable::value(e[v], b[v]);
        all &= e[v];  // the table is signed, so an entry alone says whether it is usable
    }
    if ((all & kStepValid) == 0) {
#pragma unroll
        for (int v = 0; v < W; ++v)
            if ((e[v] & kStepValid) == 0) q[v] = quantize_nf4(thresholds, y[v]);
    }
}

// A thread keeps its tile as loaded (16 bytes a row) and converts one row at a time, so the next tile fits
// beside it in the registers. At most 64 registers: 4 blocks (32 warps) per SM. NF4 searches its step table
// (built by each CUDA block), FP4 its tree.
template <int32_t D, int BS, int32_t QT>
__global__ void __launch_bounds__(kThreads, 4)
    quantize_4bit_kernel(const typename CudaElement<D>::type* __restrict__ a, float* __restrict__ absmax,
                         uint8_t* __restrict__ packed, int64_t n, bool aligned) {
    using S = FourBitShape<D, BS>;
    constexpr int kTile = S::kTile;
    constexpr bool kNf4 = QT == BNB_QUANT_NF4;
    constexpr int kEntries = kNf4 ? Nf4FullTable::kEntries : 1;
    __shared__ FourBitShared shared;
    __shared__ uint32_t step_entries[kEntries];
    __shared__ float warp_max[S::kGroups][kThreads / 32];
    load_four_bit_shared<false>(shared, QT, ScaleArgs{});  // ends with a barrier
    if constexpr (kNf4) {
        for (int i = threadIdx.x; i < kEntries; i += kThreads) step_entries[i] = nf4_full_entry(shared.thresholds, i);
        __syncthreads();
    }
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;

    auto fetch = [&](int64_t tile, uint4 (&raw)[S::kRows]) {
        const int64_t first = tile * kTile + threadIdx.x * S::W;
#pragma unroll
        for (int r = 0; r < S::kRows; ++r) raw[r] = load_raw_padded<D>(a, first + r * S::kRow, n, aligned);
    };
    uint4 raw[S::kRows];
    uint4 ahead[S::kRows];
    fetch(blockIdx.x, ahead);
    for (int64_t tile = blockIdx.x; tile * kTile < n; tile += gridDim.x) {
        const int64_t first = tile * kTile + threadIdx.x * S::W;
#pragma unroll
        for (int r = 0; r < S::kRows; ++r) raw[r] = ahead[r];
        if ((tile + gridDim.x) * kTile < n) fetch(tile + gridDim.x, ahead);

        // Block maxima from -FLT_MAX as upstream (NaN ignored by fmaxf; the zeros loaded past n pad a short
        // last block): in the thread, across lanes, then across warps.
        float m[S::kGroups];
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g) m[g] = raw_absmax<D>(raw, g * S::kRowsPerBlock, S::kRowsPerBlock);
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g)
#pragma unroll
            for (int o = S::kLanes / 2; o > 0; o /= 2) m[g] = fmaxf(m[g], __shfl_xor_sync(0xffffffffu, m[g], o));
        if constexpr (S::kWarpsPerBlock > 1) {
            if (lane == 0)
#pragma unroll
                for (int g = 0; g < S::kGroups; ++g) warp_max[g][warp] = m[g];
            __syncthreads();
            const int first_warp = warp - warp % S::kWarpsPerBlock;
#pragma unroll
            for (int g = 0; g < S::kGroups; ++g)
#pragma unroll
                for (int w = 0; w < S::kWarpsPerBlock; ++w) m[g] = fmaxf(m[g], warp_max[g][first_warp + w]);
            __syncthreads();  // the next tile rewrites warp_max
        }

        float scale[S::kGroups];
#pragma unroll
        for (int g = 0; g < S::kGroups; ++g) {
            scale[g] = 1.0f / m[g];  // IEEE division as on the CPU (no fast math); inf for a zero block
            const int64_t start = first + int64_t{g} * S::kRowsPerBlock * S::kRow;
            if (start % BS == 0 && start < n) absmax[start / BS] = m[g];
        }
#pragma unroll
        for (int r = 0; r < S::kRows; ++r) {
            float y[S::W];
            unpack_floats<D>(raw[r], y);
#pragma unroll
            for (int v = 0; v < S::W; ++v) y[v] *= scale[r / S::kRowsPerBlock];
            uint32_t q[S::W];
            if constexpr (kNf4) {
                nf4_stepped(step_entries, shared.thresholds, y, q);
            } else {
#pragma unroll
                for (int v = 0; v < S::W; ++v) q[v] = quantize_fp4(shared.thresholds, y[v]);
            }
            store_packed<S::W>(packed, first + r * S::kRow, n, aligned, q);
        }
    }
}

// W packed codes of the vector at value i (i is a multiple of W): W / 2 bytes as one little-endian word.
template <int W>
__device__ __forceinline__ uint32_t load_packed(const uint8_t* packed, int64_t i, int64_t n, bool aligned) {
    if (aligned && i + W <= n) {
        if constexpr (W == 8)
            return __ldcs(reinterpret_cast<const unsigned int*>(packed + i / 2));
        else
            return __ldcs(reinterpret_cast<const unsigned short*>(packed + i / 2));
    }
    uint32_t word = 0;
    const int64_t bytes = (n + 1) / 2;
#pragma unroll
    for (int j = 0; j < W / 2; ++j)
        if (i / 2 + j < bytes) word |= static_cast<uint32_t>(packed[i / 2 + j]) << (8 * j);
    return word;
}

// out[i .. min(i + W, n)) = y rounded to dtype D, as store_floats does, inlined (nvcc kept store_floats a
// call, with y on the stack). Cached stores: evict-first ones measured slower on the H200.
template <int32_t D>
__device__ __forceinline__ void store_output(typename CudaElement<D>::type* out, int64_t i, int64_t n, bool aligned,
                             const float (&y)[kVectorWidth<D>]) {
    if (aligned && i + kVectorWidth<D> <= n) {
        *reinterpret_cast<uint4*>(out + i) = pack_floats<D>(y);
    } else {
#pragma unroll
        for (int v = 0; v < kVectorWidth<D>; ++v)
            if (i + v < n) out[i + v] = CudaElement<D>::from_float(y[v]);
    }
}

// Dequantization reads half a byte per value and writes 2 or 4: 16 rows per thread keep loads in flight.
constexpr int kDequantizeRows = 16;

template <int32_t D, bool Nested>
__global__ void __launch_bounds__(kThreads)
    dequantize_4bit_kernel(int32_t quant_type, const uint8_t* __restrict__ packed, ScaleArgs scale_args,
                           typename CudaElement<D>::type* __restrict__ out, int blocksize_log2, int64_t n,
                           bool aligned) {
    constexpr int W = kVectorWidth<D>;
    constexpr int kRows = kDequantizeRows;
    constexpr int kRow = kThreads * W;
    constexpr int kTile = kRow * kRows;
    __shared__ FourBitShared shared;
    load_four_bit_shared<Nested>(shared, quant_type, scale_args);
    const DeviceScales<Nested> scales(scale_args, shared);

    for (int64_t tile = blockIdx.x; tile * kTile < n; tile += gridDim.x) {
        const int64_t first = tile * kTile + threadIdx.x * W;
        uint32_t words[kRows];
        float scale[kRows];
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            // A vector never straddles two blocks: blocks hold at least 32 values, a vector at most 8.
            const int64_t i = first + r * kRow;
            words[r] = i < n ? load_packed<W>(packed, i, n, aligned) : 0u;
            scale[r] = i < n ? scales(i >> blocksize_log2) : 0.0f;
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            float y[W];
#pragma unroll
            for (int j = 0; j < W / 2; ++j) {
                const uint32_t byte = words[r] >> (8 * j);
                y[2 * j] = shared.values[(byte >> 4) & 15u] * scale[r];
                y[2 * j + 1] = shared.values[byte & 15u] * scale[r];
            }
            store_output<D>(out, first + r * kRow, n, aligned, y);
        }
    }
}

// Calls body(std::integral_constant<int, blocksize>{}) for the 4-bit blocksizes; the caller has checked
// blocksize with check_four_bit_blocksize().
template <typename Body>
bnb_status dispatch_four_bit_blocksize(int64_t blocksize, Body&& body) {
    switch (blocksize) {
        case 32: return body(std::integral_constant<int, 32>{});
        case 64: return body(std::integral_constant<int, 64>{});
        case 128: return body(std::integral_constant<int, 128>{});
        case 256: return body(std::integral_constant<int, 256>{});
        case 512: return body(std::integral_constant<int, 512>{});
        case 1024: return body(std::integral_constant<int, 1024>{});
        case 2048: return body(std::integral_constant<int, 2048>{});
        case 4096: return body(std::integral_constant<int, 4096>{});
        default:
            return BNB_FAIL(BNB_ERR_INTERNAL, "blocksize %lld passed its check", static_cast<long long>(blocksize));
    }
}

template <int32_t D, int BS, int32_t QT>
bnb_status quantize(const void* A, float* absmax, uint8_t* packed, int64_t n, cudaStream_t stream) {
    auto kernel = quantize_4bit_kernel<D, BS, QT>;
    unsigned grid = 0;
    BNB_TRY(balanced_grid(kernel, (n - 1) / FourBitShape<D, BS>::kTile + 1, &grid));
    const bool aligned = reinterpret_cast<uintptr_t>(A) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(packed) % (kVectorWidth<D> / 2) == 0;
    kernel<<<grid, kThreads, 0, stream>>>(static_cast<const typename CudaElement<D>::type*>(A), absmax, packed, n,
                                          aligned);
    BNB_CUDA_CHECK_LAUNCH("quantize_4bit_kernel");
    return BNB_OK;
}

template <int32_t D, bool Nested>
bnb_status launch_dequantize(int32_t quant_type, const uint8_t* packed, const ScaleArgs& scales, void* out,
                             int64_t blocksize, int64_t n, cudaStream_t stream) {
    auto kernel = dequantize_4bit_kernel<D, Nested>;
    unsigned grid = 0;
    BNB_TRY(balanced_grid(kernel, (n - 1) / (kThreads * kVectorWidth<D> * kDequantizeRows) + 1, &grid));
    const bool aligned = reinterpret_cast<uintptr_t>(packed) % (kVectorWidth<D> / 2) == 0 &&
                         reinterpret_cast<uintptr_t>(out) % 16 == 0;
    kernel<<<grid, kThreads, 0, stream>>>(quant_type, packed, scales, static_cast<typename CudaElement<D>::type*>(out),
                                          __builtin_ctzll(blocksize), n, aligned);
    BNB_CUDA_CHECK_LAUNCH("dequantize_4bit_kernel");
    return BNB_OK;
}

template <bool Nested>
bnb_status dequantize(const char* function, int32_t dtype, int32_t quant_type, const uint8_t* packed,
                      const ScaleArgs& scales, void* out, int64_t blocksize, int64_t n, void* stream) {
    return dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
        return launch_dequantize<decltype(tag)::value, Nested>(quant_type, packed, scales, out, blocksize, n,
                                                               static_cast<cudaStream_t>(stream));
    });
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_quantize_4bit(int32_t dtype, int32_t quant_type, const void* A, float* absmax,
                                       uint8_t* packed, int64_t blocksize, int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_quantize_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(absmax);
            BNB_CHECK_NOT_NULL(packed);
            return bnb::dispatch_four_bit_blocksize(blocksize, [&](auto bs) {
                auto launch = [&](auto qt) {
                    return bnb::quantize<decltype(tag)::value, decltype(bs)::value, decltype(qt)::value>(
                        A, absmax, packed, n, static_cast<cudaStream_t>(stream));
                };
                return quant_type == BNB_QUANT_NF4 ? launch(std::integral_constant<int32_t, BNB_QUANT_NF4>{})
                                                   : launch(std::integral_constant<int32_t, BNB_QUANT_FP4>{});
            });
        });
    });
}

bnb_status bnbk_bnb_cuda_dequantize_4bit(int32_t dtype, int32_t quant_type, const uint8_t* packed, const float* absmax,
                                         void* out, int64_t blocksize, int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_dequantize_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(packed);
            BNB_CHECK_NOT_NULL(absmax);
            BNB_CHECK_NOT_NULL(out);
            return bnb::dequantize<false>(function, dtype, quant_type, packed, bnb::plain_scale_args(absmax), out,
                                          blocksize, n, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_dequantize_4bit_nested(int32_t dtype, int32_t quant_type, const uint8_t* packed,
                                                const bnb_4bit_nested_absmax* absmax, void* out, int64_t blocksize,
                                                int64_t n, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_dequantize_4bit_nested";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(packed);
            BNB_TRY(bnb::check_nested_absmax(function, absmax));
            BNB_CHECK_NOT_NULL(out);
            return bnb::dequantize<true>(function, dtype, quant_type, packed, bnb::nested_scale_args(*absmax), out,
                                         blocksize, n, stream);
        });
    });
}
