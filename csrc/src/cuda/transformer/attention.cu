// Causal grouped-query attention on the GPU (bnb/transformer.h), flash-decoding style: a block serves one
// query row (batch, token, head) and one split of its key positions. It walks the split in tiles of
// kThreads keys: every thread scores one key (q . k in f32), the block takes the tile's maximum and the
// sum of exp(score - max) with an online rescale of what came before, and then every thread accumulates
// p_j * v_j for its dimensions. With one split the block writes the output; with several it writes
// (max, sum, unnormalised accumulator) to the workspace and combine_kernel merges the splits. Splits are
// chosen so that a decode step (T = 1, few query rows) still fills the GPU.
#include "common/transformer_checks.h"
#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/transformer/reduce.cuh"

namespace bnb {
namespace {

constexpr int kThreads = 128;
constexpr int64_t kMaxHeadDim = 256;      // the accumulator of a thread: kMaxHeadDim / kThreads registers
constexpr int kDims = kMaxHeadDim / kThreads;
constexpr int64_t kMinKeysPerSplit = 16;  // below this a split costs more than it saves
constexpr int64_t kMaxSplits = 64;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

struct Shape {
    int64_t T, q_heads, group, kv_heads, d, kv_len, kv_stride, chunk;
    int splits;
    float scale;
};

// q . k_j over d elements: q in shared memory as f32, k in dtype; 16-byte loads when `vector`.
template <int32_t D>
__device__ float dot(const float* q, const Elem<D>* k, int64_t d, bool vector) {
    float sum = 0.0f;
    if (vector) {
        constexpr int W = kVectorWidth<D>;
        for (int64_t e = 0; e < d; e += W) {
            float x[W];
            unpack_floats<D>(__ldg(reinterpret_cast<const uint4*>(k + e)), x);
#pragma unroll
            for (int w = 0; w < W; ++w) sum += q[e + w] * x[w];
        }
    } else {
        for (int64_t e = 0; e < d; ++e) sum += q[e] * CudaElement<D>::to_float(k[e]);
    }
    return sum;
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    attention_kernel(const Elem<D>* __restrict__ q, const Elem<D>* __restrict__ k, const Elem<D>* __restrict__ v,
                     Elem<D>* __restrict__ out, float* __restrict__ partial, Shape sh, bool vector) {
    __shared__ float qs[kMaxHeadDim];
    __shared__ float p[kThreads];
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;  // (b * T + t) * q_heads + h
    const int split = blockIdx.y;
    const int64_t h = row % sh.q_heads;
    const int64_t t = row / sh.q_heads % sh.T;
    const int64_t b = row / (sh.q_heads * sh.T);
    const int64_t visible = sh.kv_len - sh.T + t + 1;
    const int64_t begin = split * sh.chunk;
    const int64_t end = min(begin + sh.chunk, visible);
    const int64_t stride = sh.kv_heads * sh.d;  // elements between consecutive positions
    const int64_t kv = (b * sh.kv_stride * sh.kv_heads + h / sh.group) * sh.d;
    const Elem<D>* kb = k + kv;
    const Elem<D>* vb = v + kv;

    for (int64_t e = threadIdx.x; e < sh.d; e += kThreads) qs[e] = CudaElement<D>::to_float(q[row * sh.d + e]);
    __syncthreads();

    float m = -INFINITY, l = 0.0f;
    float acc[kDims];
#pragma unroll
    for (int i = 0; i < kDims; ++i) acc[i] = 0.0f;
    for (int64_t tile = begin; tile < end; tile += kThreads) {
        const int64_t j = tile + threadIdx.x;
        const float s = j < end ? dot<D>(qs, kb + j * stride, sh.d, vector) * sh.scale : -INFINITY;
        const float m_new = fmaxf(m, block_reduce(s, scratch, MaxOp{}));
        const float pj = j < end ? expf(s - m_new) : 0.0f;
        p[threadIdx.x] = pj;
        const float correction = expf(m - m_new);
        l = l * correction + block_reduce(pj, scratch, SumOp{});  // also publishes p[] to the block
        m = m_new;
        const int keys = static_cast<int>(min(static_cast<int64_t>(kThreads), end - tile));
#pragma unroll
        for (int i = 0; i < kDims; ++i) {
            const int64_t e = threadIdx.x + int64_t{i} * kThreads;
            if (e >= sh.d) break;
            float a = acc[i] * correction;
            const Elem<D>* ve = vb + tile * stride + e;
#pragma unroll 4
            for (int jj = 0; jj < keys; ++jj) a += p[jj] * CudaElement<D>::to_float(ve[jj * stride]);
            acc[i] = a;
        }
        __syncthreads();  // p[] is read before the next tile writes it
    }

    if (sh.splits == 1) {
#pragma unroll
        for (int i = 0; i < kDims; ++i) {
            const int64_t e = threadIdx.x + int64_t{i} * kThreads;
            if (e < sh.d) out[row * sh.d + e] = CudaElement<D>::from_float(acc[i] / l);
        }
        return;
    }
    float* mine = partial + (row * sh.splits + split) * (sh.d + 2);
    if (threadIdx.x == 0) {
        mine[0] = m;
        mine[1] = l;
    }
#pragma unroll
    for (int i = 0; i < kDims; ++i) {
        const int64_t e = threadIdx.x + int64_t{i} * kThreads;
        if (e < sh.d) mine[2 + e] = acc[i];
    }
}

// out = sum_s acc_s * exp(m_s - M) / sum_s l_s * exp(m_s - M), M = max_s m_s, per query row.
template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    combine_kernel(const float* __restrict__ partial, Elem<D>* __restrict__ out, int64_t d, int splits) {
    const int64_t row = blockIdx.x;
    const float* parts = partial + row * splits * (d + 2);
    float max = -INFINITY;
    for (int s = 0; s < splits; ++s) max = fmaxf(max, parts[s * (d + 2)]);
    float denominator = 0.0f;
    for (int s = 0; s < splits; ++s) denominator += parts[s * (d + 2) + 1] * expf(parts[s * (d + 2)] - max);
    for (int64_t e = threadIdx.x; e < d; e += kThreads) {
        float sum = 0.0f;
        for (int s = 0; s < splits; ++s) sum += parts[s * (d + 2) + 2 + e] * expf(parts[s * (d + 2)] - max);
        out[row * d + e] = CudaElement<D>::from_float(sum / denominator);
    }
}

// Splits per query row: enough blocks for two per SM, at least kMinKeysPerSplit keys each, no more than the
// workspace holds.
bnb_status choose_splits(int64_t rows, int64_t d, int64_t kv_len, int64_t workspace_len, int* splits) {
    int device = 0, sms = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    int64_t n = (2 * int64_t{sms} + rows - 1) / rows;
    n = std::min({n, (kv_len + kMinKeysPerSplit - 1) / kMinKeysPerSplit, kMaxSplits,
                  workspace_len / (rows * (d + 2))});
    *splits = static_cast<int>(std::max<int64_t>(1, n));
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_attention(int32_t dtype, const void* q, const void* k, const void* v, void* out,
                                   int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                                   int64_t kv_len, int64_t kv_stride, float scale, float* workspace,
                                   int64_t workspace_len, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_attention", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using V = bnb::Elem<D>;
            BNB_TRY(bnb::check_attention(batch, T, q_heads, kv_heads, d, kv_len, kv_stride, scale, workspace_len));
            if (batch == 0 || T == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(q);
            BNB_CHECK_NOT_NULL(k);
            BNB_CHECK_NOT_NULL(v);
            BNB_CHECK_NOT_NULL(out);
            if (d > bnb::kMaxHeadDim)
                return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                                "bnb_cuda_attention: head dim d = %lld is not supported; at most %lld",
                                static_cast<long long>(d), static_cast<long long>(bnb::kMaxHeadDim));
            const int64_t rows = batch * T * q_heads;
            if (rows > INT32_MAX)
                return BNB_FAIL(BNB_ERR_UNSUPPORTED, "bnb_cuda_attention: %lld query rows are too many for one grid",
                                static_cast<long long>(rows));
            int splits = 1;
            if (workspace != nullptr) BNB_TRY(bnb::choose_splits(rows, d, kv_len, workspace_len, &splits));
            bnb::Shape sh{T, q_heads, q_heads / kv_heads, kv_heads, d, kv_len, kv_stride,
                          (kv_len + splits - 1) / splits, splits, scale};
            constexpr int W = bnb::kVectorWidth<D>;
            const bool vector = d % W == 0 && reinterpret_cast<uintptr_t>(k) % 16 == 0;
            auto s = static_cast<cudaStream_t>(stream);
            bnb::attention_kernel<D><<<dim3(static_cast<unsigned>(rows), static_cast<unsigned>(splits)), bnb::kThreads,
                                       0, s>>>(static_cast<const V*>(q), static_cast<const V*>(k),
                                               static_cast<const V*>(v), static_cast<V*>(out), workspace, sh, vector);
            BNB_CUDA_CHECK_LAUNCH("attention_kernel");
            if (splits == 1) return BNB_OK;
            bnb::combine_kernel<D><<<static_cast<unsigned>(rows), bnb::kThreads, 0, s>>>(
                workspace, static_cast<V*>(out), d, splits);
            BNB_CUDA_CHECK_LAUNCH("combine_kernel");
            return BNB_OK;
        });
    });
}
