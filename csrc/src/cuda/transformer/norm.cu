// RMSNorm forward and backward on the GPU (bnb/transformer.h): one block per row, f32 arithmetic, the
// roundings of transformers' LlamaRMSNorm; the weight gradient sums each column in one thread, in row
// order, so that it is deterministic.
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

template <int32_t D>
__device__ float load(const Elem<D>* p, int64_t i) {
    return CudaElement<D>::to_float(p[i]);
}

template <int32_t D>
__device__ float normalised(float x, float rstd) {
    return CudaElement<D>::to_float(CudaElement<D>::from_float(x * rstd));
}

template <int32_t D>
__device__ float row_rstd(const Elem<D>* row, int64_t n, float eps, float* scratch) {
    float sum = 0.0f;
    for (int64_t c = threadIdx.x; c < n; c += kThreads) {
        const float v = load<D>(row, c);
        sum += v * v;
    }
    sum = block_reduce(sum, scratch, SumOp{});
    return 1.0f / sqrtf(sum / static_cast<float>(n) + eps);
}

// x and out may be the same buffer (in place): a block reads its row before the barrier of the sum and then
// writes each element after reading it, so x is not __restrict__.
template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    rms_norm_kernel(const Elem<D>* x, const Elem<D>* __restrict__ w, Elem<D>* out, float* rstd,
                    int64_t rows, int64_t n, float eps) {
    __shared__ float scratch[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<D>* row = x + r * n;
        const float s = row_rstd<D>(row, n, eps, scratch);
        if (rstd != nullptr && threadIdx.x == 0) rstd[r] = s;
        for (int64_t c = threadIdx.x; c < n; c += kThreads)
            out[r * n + c] = CudaElement<D>::from_float(load<D>(w, c) * normalised<D>(load<D>(row, c), s));
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    rms_norm_grad_x_kernel(const Elem<D>* __restrict__ g, const Elem<D>* __restrict__ x, const Elem<D>* __restrict__ w,
                           Elem<D>* __restrict__ gx, float* __restrict__ rstd, int64_t rows, int64_t n, float eps) {
    __shared__ float scratch[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<D>* row = x + r * n;
        const Elem<D>* grow = g + r * n;
        const float s = row_rstd<D>(row, n, eps, scratch);
        float dot = 0.0f;
        for (int64_t c = threadIdx.x; c < n; c += kThreads) dot += load<D>(grow, c) * load<D>(w, c) * load<D>(row, c);
        dot = block_reduce(dot, scratch, SumOp{});
        if (threadIdx.x == 0) rstd[r] = s;
        const float k = s * s * dot / static_cast<float>(n);
        for (int64_t c = threadIdx.x; c < n; c += kThreads)
            gx[r * n + c] = CudaElement<D>::from_float(s * (load<D>(grow, c) * load<D>(w, c) - load<D>(row, c) * k));
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    rms_norm_grad_weight_kernel(const Elem<D>* __restrict__ g, const Elem<D>* __restrict__ x,
                                const float* __restrict__ rstd, Elem<D>* gw, int64_t rows, int64_t n, bool accumulate) {
    const int64_t c = int64_t{blockIdx.x} * kThreads + threadIdx.x;
    if (c >= n) return;
    float part = 0.0f;
    for (int64_t r = 0; r < rows; ++r) part += load<D>(g, r * n + c) * normalised<D>(load<D>(x, r * n + c), rstd[r]);
    const float before = accumulate ? load<D>(gw, c) : 0.0f;
    gw[c] = CudaElement<D>::from_float(before + part);
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_rms_norm(int32_t dtype, const void* x, const void* weight, void* out, float* rstd,
                                  int64_t rows, int64_t n, float eps, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_rms_norm", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = bnb::Elem<D>;
            BNB_TRY(bnb::check_rms_norm(rows, n, eps));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(weight);
            BNB_CHECK_NOT_NULL(out);
            bnb::rms_norm_kernel<D><<<bnb::row_blocks(rows), bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<T*>(out), rstd, rows, n, eps);
            BNB_CUDA_CHECK_LAUNCH("rms_norm_kernel");
            return BNB_OK;
        });
    });
}

bnb_status bnbk_bnb_cuda_rms_norm_backward(int32_t dtype, const void* grad_out, const void* x, const void* weight,
                                           void* grad_x, void* grad_weight, float* rstd, int64_t rows, int64_t n,
                                           float eps, int32_t accumulate, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_rms_norm_backward", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = bnb::Elem<D>;
            BNB_TRY(bnb::check_rms_norm(rows, n, eps));
            BNB_TRY(bnb::check_accumulate(accumulate));
            if (rows > 0) {
                BNB_CHECK_NOT_NULL(grad_out);
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(grad_x);
                BNB_CHECK_NOT_NULL(rstd);
            }
            BNB_CHECK_NOT_NULL(weight);
            auto s = static_cast<cudaStream_t>(stream);
            auto g = static_cast<const T*>(grad_out);
            auto xs = static_cast<const T*>(x);
            if (rows > 0) {
                bnb::rms_norm_grad_x_kernel<D><<<bnb::row_blocks(rows), bnb::kThreads, 0, s>>>(
                    g, xs, static_cast<const T*>(weight), static_cast<T*>(grad_x), rstd, rows, n, eps);
                BNB_CUDA_CHECK_LAUNCH("rms_norm_grad_x_kernel");
            }
            if (grad_weight == nullptr) return BNB_OK;
            const int64_t blocks = (n + bnb::kThreads - 1) / bnb::kThreads;
            if (blocks > INT32_MAX) return BNB_FAIL(BNB_ERR_UNSUPPORTED, "n = %lld is too large", (long long)n);
            bnb::rms_norm_grad_weight_kernel<D><<<static_cast<unsigned>(blocks), bnb::kThreads, 0, s>>>(
                g, xs, rstd, static_cast<T*>(grad_weight), rows, n, accumulate == 1);
            BNB_CUDA_CHECK_LAUNCH("rms_norm_grad_weight_kernel");
            return BNB_OK;
        });
    });
}
