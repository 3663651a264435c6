// The row ops of bnb/nn_ops.h on the GPU: column sums (a bias gradient), LayerNorm forward and backward.
//
// Row kernels: one block per row (grid-striding over rows), f32 sums reduced in a fixed order. Column sums:
// a block of 32 columns x kColumnLanes row lanes; each lane sums every kColumnLanes-th row and the lanes are
// added in lane order, so the result is the same every run (no atomics).
#include <stdint.h>

#include "common/nn_checks.h"
#include "cuda/entry_points.h"
#include "cuda/nn/nn_common.cuh"

namespace bnb {
namespace {

template <int32_t D>
using Elem = typename CudaElement<D>::type;

constexpr int kColumnLanes = 16;

// out[c] = (accumulate ? out[c] : 0) + sum_r term(r, c), rounded once to D.
template <int32_t D, typename Term>
__global__ void __launch_bounds__(32 * kColumnLanes)
    column_sum_kernel(int64_t rows, int64_t cols, Elem<D>* out, bool accumulate, Term term) {
    __shared__ float partial[kColumnLanes][33];
    const int64_t c = blockIdx.x * int64_t{32} + threadIdx.x;
    float sum = 0.0f;
    if (c < cols)
        for (int64_t r = threadIdx.y; r < rows; r += kColumnLanes) sum += term(r, c);
    partial[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float total = accumulate ? CudaElement<D>::to_float(out[c]) : 0.0f;
        for (int lane = 0; lane < kColumnLanes; ++lane) total += partial[lane][threadIdx.x];
        out[c] = CudaElement<D>::from_float(total);
    }
}

template <int32_t D, typename Term>
bnb_status launch_column_sums(const char* name, int64_t rows, int64_t cols, Elem<D>* out, bool accumulate, Term term,
                              cudaStream_t stream) {
    const int64_t blocks = (cols + 31) / 32;
    if (blocks > INT32_MAX)
        return BNB_FAIL(BNB_ERR_UNSUPPORTED, "%lld columns are too many for one grid", static_cast<long long>(cols));
    column_sum_kernel<D, Term><<<static_cast<unsigned>(blocks), dim3(32, kColumnLanes), 0, stream>>>(
        rows, cols, out, accumulate, term);
    cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess) return cuda_fail(error, __FILE__, __LINE__, name);
    return BNB_OK;
}

template <int32_t D>
struct Element {
    const Elem<D>* x;
    int64_t cols;
    __device__ float operator()(int64_t r, int64_t c) const { return CudaElement<D>::to_float(x[r * cols + c]); }
};

template <int32_t D>
struct GradTimesXhat {
    const Elem<D>* dy;
    const Elem<D>* x;
    const float* mean;
    const float* rstd;
    int64_t cols;
    __device__ float operator()(int64_t r, int64_t c) const {
        const float xhat = (CudaElement<D>::to_float(x[r * cols + c]) - mean[r]) * rstd[r];
        return CudaElement<D>::to_float(dy[r * cols + c]) * xhat;
    }
};

template <int32_t D>
__global__ void __launch_bounds__(kNnThreads)
    layer_norm_kernel(const Elem<D>* __restrict__ x, const Elem<D>* __restrict__ weight,
                      const Elem<D>* __restrict__ bias, float eps, int64_t rows, int64_t cols, Elem<D>* __restrict__ y,
                      float* __restrict__ mean, float* __restrict__ rstd) {
    __shared__ float scratch[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const Elem<D>* row = x + r * cols;
        float sum = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += kNnThreads) sum += CudaElement<D>::to_float(row[c]);
        const float mu = nn_block_sum<kNnThreads>(sum, scratch) / static_cast<float>(cols);
        float squares = 0.0f;  // two passes, as the CPU: no cancellation for rows far from zero
        for (int64_t c = threadIdx.x; c < cols; c += kNnThreads) {
            const float d = CudaElement<D>::to_float(row[c]) - mu;
            squares += d * d;
        }
        const float rs = 1.0f / sqrtf(nn_block_sum<kNnThreads>(squares, scratch) / static_cast<float>(cols) + eps);
        for (int64_t c = threadIdx.x; c < cols; c += kNnThreads) {
            float v = (CudaElement<D>::to_float(row[c]) - mu) * rs;
            if (weight) v *= CudaElement<D>::to_float(weight[c]);
            if (bias) v += CudaElement<D>::to_float(bias[c]);
            y[r * cols + c] = CudaElement<D>::from_float(v);
        }
        if (threadIdx.x == 0) {
            if (mean) mean[r] = mu;
            if (rstd) rstd[r] = rs;
        }
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kNnThreads)
    layer_norm_grad_x_kernel(const Elem<D>* __restrict__ dy, const Elem<D>* __restrict__ x,
                             const Elem<D>* __restrict__ weight, const float* __restrict__ mean,
                             const float* __restrict__ rstd, int64_t rows, int64_t cols, Elem<D>* __restrict__ dx) {
    __shared__ float scratch[32];
    for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
        const float mu = mean[r], rs = rstd[r];
        auto g = [&](int64_t c) {
            const float v = CudaElement<D>::to_float(dy[r * cols + c]);
            return weight ? v * CudaElement<D>::to_float(weight[c]) : v;
        };
        auto xhat = [&](int64_t c) { return (CudaElement<D>::to_float(x[r * cols + c]) - mu) * rs; };
        float sum_g = 0.0f, sum_gx = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += kNnThreads) {
            sum_g += g(c);
            sum_gx += g(c) * xhat(c);
        }
        const float mean_g = nn_block_sum<kNnThreads>(sum_g, scratch) / static_cast<float>(cols);
        const float mean_gx = nn_block_sum<kNnThreads>(sum_gx, scratch) / static_cast<float>(cols);
        for (int64_t c = threadIdx.x; c < cols; c += kNnThreads)
            dx[r * cols + c] = CudaElement<D>::from_float(rs * (g(c) - mean_g - xhat(c) * mean_gx));
    }
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_nn_sum_rows(int32_t dtype, const void* x, int64_t rows, int64_t cols, void* out,
                                     int32_t accumulate, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_sum_rows", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_MATRIX(rows, cols);
            if (cols == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(out);
            if (rows > 0) BNB_CHECK_NOT_NULL(x);
            return bnb::launch_column_sums<D>("column_sum_kernel", rows, cols, static_cast<bnb::Elem<D>*>(out),
                                              accumulate != 0,
                                              bnb::Element<D>{static_cast<const bnb::Elem<D>*>(x), cols},
                                              static_cast<cudaStream_t>(stream));
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_layer_norm(int32_t dtype, const void* x, const void* weight, const void* bias, float eps,
                                       int64_t rows, int64_t cols, void* y, float* mean, float* rstd, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_layer_norm", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = bnb::Elem<D>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_ARG(cols >= 1, "cols must be >= 1, got %lld", static_cast<long long>(cols));
            BNB_CHECK_EPS(eps);
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(y);
            auto s = static_cast<cudaStream_t>(stream);
            bnb::layer_norm_kernel<D><<<bnb::nn_row_blocks(rows), bnb::kNnThreads, 0, s>>>(
                static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), eps, rows, cols,
                static_cast<T*>(y), mean, rstd);
            BNB_CUDA_CHECK_LAUNCH("layer_norm_kernel");
            return BNB_OK;
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_layer_norm_backward(int32_t dtype, const void* grad_y, const void* x, const void* weight,
                                                const float* mean, const float* rstd, int64_t rows, int64_t cols,
                                                void* grad_x, void* grad_weight, void* grad_bias, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_layer_norm_backward", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = bnb::Elem<D>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_ARG(cols >= 1, "cols must be >= 1, got %lld", static_cast<long long>(cols));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(grad_y);
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(mean);
            BNB_CHECK_NOT_NULL(rstd);
            auto s = static_cast<cudaStream_t>(stream);
            auto dy = static_cast<const T*>(grad_y);
            auto in = static_cast<const T*>(x);
            if (grad_weight)
                BNB_TRY(bnb::launch_column_sums<D>("column_sum_kernel (grad_weight)", rows, cols,
                                                   static_cast<T*>(grad_weight), true,
                                                   bnb::GradTimesXhat<D>{dy, in, mean, rstd, cols}, s));
            if (grad_bias)
                BNB_TRY(bnb::launch_column_sums<D>("column_sum_kernel (grad_bias)", rows, cols,
                                                   static_cast<T*>(grad_bias), true, bnb::Element<D>{dy, cols}, s));
            if (!grad_x) return BNB_OK;
            bnb::layer_norm_grad_x_kernel<D><<<bnb::nn_row_blocks(rows), bnb::kNnThreads, 0, s>>>(
                dy, in, static_cast<const T*>(weight), mean, rstd, rows, cols, static_cast<T*>(grad_x));
            BNB_CUDA_CHECK_LAUNCH("layer_norm_grad_x_kernel");
            return BNB_OK;
        });
    });
}
