// The fused LLM.int8() product for few rows (bnb_cuda_int8_fused_matmul): two launches and no host
// synchronization. fused_prepare.cuh quantizes A (and finds the outlier columns); the product kernel here reads
// the int8 weight once and computes the exact int32 sums on the tensor cores, then the dequantization with bias
// and the outlier columns' 16-bit part, writing the output once.
//
// Product kernel: a block owns 32 weight rows; its 8 warps split K in steps of 128 bytes and add their int32
// sums in shared memory (integer sums are exact, so the order does not matter). In a step, lane (g, t) of a
// warp loads 32 bytes at k + 32t of weight rows g, g+8, g+16, g+24 and of activation rows g (+8 per m-tile):
// the same positions for both operands, so the k order inside the mma fragments is a permutation of the
// step's 128 bytes, which an exact sum does not see. M up to 32 activation rows are the mma's n (8 per tile);
// weight rows are its m (16 per mma).
#include <stdint.h>

#include <atomic>
#include <type_traits>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/int8/fused_prepare.cuh"
#include "cuda/int8/launch.cuh"

namespace bnb {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kBlockRows = 32;  // weight rows (output columns) per block: two 16-row mma tiles
constexpr int kStep = 128;      // bytes of K per warp and step: 4 lanes of 32 bytes

template <int32_t D>
using Elem = typename CudaElement<D>::type;

// c += a (16x32, rows of the weight) * b (32x8, rows of the activations), int8 in, exact int32 sums. Turing
// (sm_75) has only the m8n8k16 shape: the same product as four of them (a0/a2 the upper rows, a1/a3 the lower).
__device__ __forceinline__ void mma_s8(int (&c)[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                                       uint32_t b1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#elif defined(__CUDA_ARCH__)
    asm volatile("mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                 : "+r"(c[0]), "+r"(c[1]) : "r"(a0), "r"(b0));
    asm volatile("mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                 : "+r"(c[0]), "+r"(c[1]) : "r"(a2), "r"(b1));
    asm volatile("mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                 : "+r"(c[2]), "+r"(c[3]) : "r"(a1), "r"(b0));
    asm volatile("mma.sync.aligned.m8n8k16.row.col.s32.s8.s8.s32 {%0,%1}, {%2}, {%3}, {%0,%1};\n"
                 : "+r"(c[2]), "+r"(c[3]) : "r"(a3), "r"(b1));
#endif
}

// The 16 bytes of row at k .. k+16, 0 past K or for a missing row. aligned: K a multiple of 16 and row 16-byte
// aligned, so a vector is wholly in or out of the row. kOnce: the weight, read once (evict first); the
// activation codes are read by every block and stay cached.
template <bool kOnce>
__device__ __forceinline__ uint4 load16(const int8_t* row, int64_t k, int64_t K, bool valid, bool aligned) {
    if (!valid || k >= K) return make_uint4(0, 0, 0, 0);
    if (aligned) {
        const uint4* v = reinterpret_cast<const uint4*>(row + k);
        return kOnce ? __ldcs(v) : __ldg(v);
    }
    uint32_t w[4] = {0, 0, 0, 0};
#pragma unroll
    for (int b = 0; b < 16; ++b)
        if (k + b < K) w[b / 4] |= uint32_t{static_cast<uint8_t>(row[k + b])} << (8 * (b % 4));
    return make_uint4(w[0], w[1], w[2], w[3]);
}

// Programmatic dependent launch (sm_90+): wait until fused_prepare_kernel has finished and its writes are
// visible; a no-op when the kernel was launched the ordinary way.
__device__ __forceinline__ void wait_for_prepare() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ uint32_t word(const uint4& v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// One step's operands of a lane: 32 bytes of 4 weight rows and of MT activation rows.
template <int MT>
struct Step {
    uint4 w[4][2];
    uint4 x[MT][2];
};

// The outlier columns' operands a block keeps in shared memory, kOutlierChunk columns at a time: its
// activations A[m, c_j] and its weight rows' dequantized w16[n, c_j] (as f32, both exact in it).
constexpr int kOutlierChunk = 64;

template <int32_t D, int C>
struct OutlierChunk {
    float x[32][C];
    float w[kBlockRows][C + 1];  // padded: a warp reads 32 rows of one column

    // Columns j0 .. j0+count of the list; all threads of the block take part.
    __device__ void fill(const Elem<D>* a, const int8_t* cb, const float* scb, const int32_t* columns, int64_t j0,
                         int count, int M, int64_t n0, int64_t N, int64_t K) {
        using E = CudaElement<D>;
        for (int i = threadIdx.x; i < (M + kBlockRows) * count; i += kThreads) {
            const int row = i / count;
            const int j = i - row * count;
            const int64_t c = columns[j0 + j];
            if (row < M) {
                x[row][j] = E::to_float(a[row * K + c]);
            } else {
                const int64_t n = n0 + row - M;
                w[row - M][j] = n < N ? E::to_float(E::from_float(int8_dequant_value(cb[n * K + c], __ldg(scb + n))))
                                      : 0.0f;
            }
        }
    }
};

template <int32_t D, int MT, bool kSparse>
__global__ void __launch_bounds__(kThreads)
    fused_product_kernel(const int8_t* __restrict__ cb, const float* __restrict__ scb, const Elem<D>* __restrict__ bias,
                         const int8_t* __restrict__ codes, const float* __restrict__ row_stats,
                         const Elem<D>* __restrict__ a, const int32_t* __restrict__ state, Elem<D>* __restrict__ out,
                         int M, int64_t N, int64_t K, bool aligned) {
    constexpr int kOutputs = kBlockRows * MT * 8 / kThreads;  // per thread, at most
    __shared__ int32_t sums[kBlockRows][MT * 8];
    __shared__ OutlierChunk<D, kSparse ? kOutlierChunk : 1> outliers;
    for (int i = threadIdx.x; i < kBlockRows * MT * 8; i += kThreads) (&sums[0][0])[i] = 0;
    const int warp = threadIdx.x / 32;
    const int g = (threadIdx.x % 32) / 4;
    const int t = threadIdx.x % 4;
    const int64_t n0 = int64_t{blockIdx.x} * kBlockRows;
    const int32_t* columns = kSparse ? state + 2 + K : nullptr;

    const int8_t* wrow[4];
    bool wvalid[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
        const int64_t n = n0 + g + 8 * j;
        wvalid[j] = n < N;
        wrow[j] = cb + (wvalid[j] ? n : 0) * K;
    }
    const int8_t* xrow[MT];
    bool xvalid[MT];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
        const int m = mt * 8 + g;
        xvalid[mt] = m < M;
        xrow[mt] = codes + (xvalid[mt] ? m : 0) * K;
    }
    auto load_weight = [&](Step<MT>& s, int64_t step) {
        const int64_t k = step * kStep + 32 * t;
#pragma unroll
        for (int u = 0; u < 2; ++u)
#pragma unroll
            for (int j = 0; j < 4; ++j) s.w[j][u] = load16<true>(wrow[j], k + 16 * u, K, wvalid[j], aligned);
    };
    auto load_codes = [&](Step<MT>& s, int64_t step) {
        const int64_t k = step * kStep + 32 * t;
#pragma unroll
        for (int u = 0; u < 2; ++u)
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) s.x[mt][u] = load16<false>(xrow[mt], k + 16 * u, K, xvalid[mt], aligned);
    };
    int acc[2][MT][4] = {};
    auto multiply = [&](const Step<MT>& s) {
#pragma unroll
        for (int u = 0; u < 2; ++u)
#pragma unroll
            for (int h = 0; h < 2; ++h)
#pragma unroll
                for (int tile = 0; tile < 2; ++tile)
#pragma unroll
                    for (int mt = 0; mt < MT; ++mt)
                        mma_s8(acc[tile][mt], word(s.w[2 * tile][u], 2 * h), word(s.w[2 * tile + 1][u], 2 * h),
                               word(s.w[2 * tile][u], 2 * h + 1), word(s.w[2 * tile + 1][u], 2 * h + 1),
                               word(s.x[mt][u], 2 * h), word(s.x[mt][u], 2 * h + 1));
    };
    // Two steps in flight before their products (64 bytes of each of 4 weight rows per lane), the weight of the
    // next two loaded as soon as these are multiplied; steps past the end load zeros. The first weight loads are
    // issued before waiting for the prepare kernel (launched programmatically dependent on sm_90+).
    const int64_t steps = (K + kStep - 1) / kStep;
    Step<MT> p, q;
    load_weight(p, warp);
    load_weight(q, warp + kWarps);
    wait_for_prepare();
    const int64_t found = kSparse ? state[1] : 0;
    // The first chunk of outlier operands: loads that overlap the weight's stream below.
    if (kSparse && found > 0)
        outliers.fill(a, cb, scb, columns, 0, static_cast<int>(found < kOutlierChunk ? found : kOutlierChunk), M, n0,
                      N, K);
    for (int64_t s = warp; s < steps; s += 2 * kWarps) {
        load_codes(p, s);
        load_codes(q, s + kWarps);
        multiply(p);
        multiply(q);
        if (s + 2 * kWarps < steps) {
            load_weight(p, s + 2 * kWarps);
            load_weight(q, s + 3 * kWarps);
        }
    }
    __syncthreads();  // sums cleared
#pragma unroll
    for (int tile = 0; tile < 2; ++tile)
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int i = 0; i < 4; ++i)
                atomicAdd(&sums[tile * 16 + g + (i >= 2 ? 8 : 0)][mt * 8 + 2 * t + (i & 1)], acc[tile][mt][i]);
    __syncthreads();  // sums complete, the first outlier chunk visible

    // The unfused path's 16-bit GEMM of the gathered columns (added to the int8 part with beta = 1), summed in
    // ascending column order: output i = threadIdx.x + o * kThreads is (m, n) = (i / kBlockRows, i % kBlockRows).
    float extra[kOutputs] = {};
    if constexpr (kSparse) {
        for (int64_t j0 = 0; j0 < found; j0 += kOutlierChunk) {
            const int count = static_cast<int>(found - j0 < kOutlierChunk ? found - j0 : kOutlierChunk);
            if (j0 > 0) {
                __syncthreads();  // the previous chunk is used up
                outliers.fill(a, cb, scb, columns, j0, count, M, n0, N, K);
                __syncthreads();
            }
#pragma unroll
            for (int o = 0; o < kOutputs; ++o) {
                const int i = threadIdx.x + o * kThreads;
                if (i >= kBlockRows * M) break;
                for (int j = 0; j < count; ++j)
                    extra[o] = fmaf(outliers.x[i / kBlockRows][j], outliers.w[i % kBlockRows][j], extra[o]);
            }
        }
    }
    using E = CudaElement<D>;
#pragma unroll
    for (int o = 0; o < kOutputs; ++o) {
        const int i = threadIdx.x + o * kThreads;
        if (i >= kBlockRows * M) break;
        const int m = i / kBlockRows;
        const int64_t n = n0 + i % kBlockRows;
        if (n >= N) continue;
        const float b = bias != nullptr ? E::to_float(bias[n]) : 0.0f;
        Elem<D> y = E::from_float(
            int8_mm_dequant_value(sums[i % kBlockRows][m], __ldg(row_stats + m), __ldg(scb + n), b));
        if (found > 0) y = E::from_float(E::to_float(y) + extra[o]);
        out[m * N + n] = y;
    }
}

template <int32_t D, int MT>
bnb_status launch_product(const int8_t* cb, const float* scb, const void* bias, const int8_t* codes,
                          const float* row_stats, const void* A, const int32_t* state, void* out, int M, int64_t N,
                          int64_t K, bool sparse, bool dependent_launch, cudaStream_t stream) {
    const bool aligned = K % 16 == 0 && reinterpret_cast<uintptr_t>(cb) % 16 == 0 &&
                         reinterpret_cast<uintptr_t>(codes) % 16 == 0;
    const int64_t blocks = (N + kBlockRows - 1) / kBlockRows;
    if (blocks > INT32_MAX)
        return BNB_FAIL(BNB_ERR_UNSUPPORTED, "N = %lld is too large for one grid", static_cast<long long>(N));
    auto kernel = sparse ? fused_product_kernel<D, MT, true> : fused_product_kernel<D, MT, false>;
    // On sm_90+ the product kernel may start while the prepare kernel runs (it begins with the weight's loads and
    // waits for the quantized input with griddepcontrol.wait).
    cudaLaunchAttribute early{};
    early.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    early.val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(static_cast<unsigned>(blocks));
    config.blockDim = dim3(kThreads);
    config.stream = stream;
    config.attrs = &early;
    config.numAttrs = dependent_launch ? 1 : 0;
    BNB_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, cb, scb, static_cast<const Elem<D>*>(bias), codes, row_stats,
                                      static_cast<const Elem<D>*>(A), static_cast<const int32_t*>(state),
                                      static_cast<Elem<D>*>(out), M, N, K, aligned));
    BNB_CUDA_CHECK_LAUNCH("fused_product_kernel");
    return BNB_OK;
}

// Whether the product kernel that runs on the current device was compiled for sm_90+ (and so waits with
// griddepcontrol.wait): the device's compute capability alone is not enough, a build for older architectures
// runs there from PTX. Asked once per device.
bnb_status dependent_launch(bool* yes) {
    static std::atomic<int> known[64] = {};  // 0: not asked yet, 1: no, 2: yes
    int device = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    if (device < 64 && known[device].load() != 0) {
        *yes = known[device].load() == 2;
        return BNB_OK;
    }
    cudaFuncAttributes attributes{};
    BNB_CUDA_CHECK(cudaFuncGetAttributes(&attributes, fused_product_kernel<BNB_F16, 1, false>));
    *yes = attributes.binaryVersion >= 90;
    if (device < 64) known[device].store(*yes ? 2 : 1);
    return BNB_OK;
}

template <int32_t D>
bnb_status fused_matmul(const void* A, const int8_t* cb, const float* scb, const void* bias, int64_t M, int64_t N,
                        int64_t K, float threshold, int8_t* codes, float* row_stats, int32_t* state, void* out,
                        cudaStream_t stream) {
    const bool sparse = threshold > 0.0f;
    const bool vec = K % kVectorWidth<D> == 0 && reinterpret_cast<uintptr_t>(A) % 16 == 0;
    auto prepare = sparse ? fused_prepare_kernel<D, true> : fused_prepare_kernel<D, false>;
    prepare<<<static_cast<unsigned>(M), kPrepareThreads, 0, stream>>>(static_cast<const Elem<D>*>(A), K, vec,
                                                                     threshold, codes, row_stats, state);
    BNB_CUDA_CHECK_LAUNCH("fused_prepare_kernel");
    bool early = false;
    BNB_TRY(dependent_launch(&early));
    auto run = [&](auto tiles) {  // tiles of 8 activation rows
        return launch_product<D, decltype(tiles)::value>(cb, scb, bias, codes, row_stats, A, state, out,
                                                         static_cast<int>(M), N, K, sparse, early, stream);
    };
    if (M <= 8) return run(std::integral_constant<int, 1>{});
    if (M <= 16) return run(std::integral_constant<int, 2>{});
    if (M <= 24) return run(std::integral_constant<int, 3>{});
    return run(std::integral_constant<int, 4>{});
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_int8_fused_matmul(int32_t dtype, const void* A, const int8_t* CB, const float* SCB,
                                           const void* bias, int64_t M, int64_t N, int64_t K, float threshold,
                                           int8_t* codes, float* row_stats, int32_t* outlier_state, void* out,
                                           void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_fused_matmul", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_MATRIX(M, K);
            BNB_CHECK_MATRIX(N, K);
            BNB_CHECK_MATRIX(M, N);
            BNB_CHECK_ARG(M <= BNB_INT8_FUSED_MAX_ROWS, "M must be at most %d, got %lld", BNB_INT8_FUSED_MAX_ROWS,
                          static_cast<long long>(M));
            BNB_CHECK_ARG(K <= INT32_MAX, "K must be at most %d, got %lld", INT32_MAX, static_cast<long long>(K));
            BNB_CHECK_THRESHOLD(threshold);
            if (M == 0 || N == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(CB);
            BNB_CHECK_NOT_NULL(SCB);
            BNB_CHECK_NOT_NULL(codes);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(out);
            if (threshold > 0.0f) BNB_CHECK_NOT_NULL(outlier_state);
            return bnb::fused_matmul<decltype(tag)::value>(A, CB, SCB, bias, M, N, K, threshold, codes, row_stats,
                                                          outlier_state, out, static_cast<cudaStream_t>(stream));
        });
    });
}
