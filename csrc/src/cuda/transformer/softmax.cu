// Softmax and argmax over the last dimension on the GPU (bnb/transformer.h): one block per row.
#include "common/transformer_checks.h"
#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/transformer/reduce.cuh"

namespace bnb {
namespace {

constexpr int kThreads = 256;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int32_t In, int32_t Out>
__global__ void __launch_bounds__(kThreads)
    softmax_kernel(const Elem<In>* x, Elem<Out>* out, int64_t rows, int64_t n) {
    __shared__ float scratch[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<In>* row = x + r * n;
        float max = -INFINITY, nan = 0.0f;
        for (int64_t c = threadIdx.x; c < n; c += kThreads) {
            const float v = CudaElement<In>::to_float(row[c]);
            max = fmaxf(max, v);
            nan = isnan(v) ? 1.0f : nan;
        }
        max = block_reduce(max, scratch, MaxOp{});
        if (block_reduce(nan, scratch, MaxOp{}) != 0.0f) max = NAN;  // fmaxf skips NaN; the row's softmax is NaN
        float sum = 0.0f;
        for (int64_t c = threadIdx.x; c < n; c += kThreads) sum += expf(CudaElement<In>::to_float(row[c]) - max);
        sum = block_reduce(sum, scratch, SumOp{});
        for (int64_t c = threadIdx.x; c < n; c += kThreads)
            out[r * n + c] = CudaElement<Out>::from_float(expf(CudaElement<In>::to_float(row[c]) - max) / sum);
    }
}

// Whether (a, i) comes before (b, j) in torch.argmax's order: NaN first, then larger values, then lower indices.
__device__ bool before(float a, int64_t i, float b, int64_t j) {
    if (isnan(a) != isnan(b)) return isnan(a);
    if (!isnan(a) && a != b) return a > b;
    return i < j;
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads) argmax_kernel(const Elem<D>* x, int64_t* out, int64_t rows, int64_t n) {
    __shared__ float values[kThreads / 32];
    __shared__ int64_t indices[kThreads / 32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<D>* row = x + r * n;
        float best = NAN;
        int64_t index = -1;  // none yet
        for (int64_t c = threadIdx.x; c < n; c += kThreads) {
            const float v = CudaElement<D>::to_float(row[c]);
            if (index < 0 || before(v, c, best, index)) {
                best = v;
                index = c;
            }
        }
#pragma unroll
        for (int o = 16; o > 0; o /= 2) {
            const float other = __shfl_xor_sync(0xffffffffu, best, o);
            const int64_t other_index = __shfl_xor_sync(0xffffffffu, index, o);
            if (other_index >= 0 && (index < 0 || before(other, other_index, best, index))) {
                best = other;
                index = other_index;
            }
        }
        if (threadIdx.x % 32 == 0) {
            values[threadIdx.x / 32] = best;
            indices[threadIdx.x / 32] = index;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            for (int w = 1; w < kThreads / 32; ++w)
                if (indices[w] >= 0 && (index < 0 || before(values[w], indices[w], best, index))) {
                    best = values[w];
                    index = indices[w];
                }
            out[r] = index;
        }
        __syncthreads();
    }
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_softmax(int32_t dtype, const void* x, int32_t out_dtype, void* out, int64_t rows, int64_t n,
                                 void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_softmax", dtype, [&](auto in_tag) -> bnb_status {
            auto body = [&](auto out_tag) -> bnb_status {
                constexpr int32_t In = decltype(in_tag)::value;
                constexpr int32_t Out = decltype(out_tag)::value;
                BNB_TRY(bnb::check_last_dim(rows, n));
                if (rows == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(out);
                auto s = static_cast<cudaStream_t>(stream);
                bnb::softmax_kernel<In, Out><<<bnb::row_blocks(rows), bnb::kThreads, 0, s>>>(
                    static_cast<const bnb::Elem<In>*>(x), static_cast<bnb::Elem<Out>*>(out), rows, n);
                BNB_CUDA_CHECK_LAUNCH("softmax_kernel");
                return BNB_OK;
            };
            return bnb::dispatch_float_dtype("bnb_cuda_softmax (out_dtype)", out_dtype, body);
        });
    });
}

bnb_status bnbk_bnb_cuda_argmax(int32_t dtype, const void* x, int64_t* out, int64_t rows, int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_argmax", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_TRY(bnb::check_last_dim(rows, n));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            bnb::argmax_kernel<D><<<bnb::row_blocks(rows), bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                static_cast<const bnb::Elem<D>*>(x), out, rows, n);
            BNB_CUDA_CHECK_LAUNCH("argmax_kernel");
            return BNB_OK;
        });
    });
}
