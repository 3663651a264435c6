// Centering of the absmax vector on the GPU, and its inverse. The mean is a sum in double over a
// partition of x that depends on n alone (so a given input always gives the same mean), reduced in two
// launches and left on the device: the host never waits.
#include <stdint.h>

#include <algorithm>

#include "common/arg_checks.h"
#include "cuda/entry_points.h"
#include "cuda/quant/launch.cuh"

namespace bnb {
namespace {

constexpr int64_t kPerPart = 8192;  // elements per partial sum, at least
constexpr int kMaxParts = 1024;

__device__ double warp_sum(double v) {
#pragma unroll
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__global__ void __launch_bounds__(kThreads) partial_sums_kernel(const float* __restrict__ x, int64_t n,
                                                                double* __restrict__ partial) {
    __shared__ double warp_sums[kThreads / 32];
    double sum = 0.0;
    for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < n; i += int64_t{gridDim.x} * kThreads)
        sum += x[i];
    sum = warp_sum(sum);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
    __syncthreads();
    if (threadIdx.x < 32) {
        sum = warp_sum(threadIdx.x < kThreads / 32 ? warp_sums[threadIdx.x] : 0.0);
        if (threadIdx.x == 0) partial[blockIdx.x] = sum;
    }
}

// Every block adds up the partial sums in the same order, so all agree on the mean.
__global__ void __launch_bounds__(kThreads) subtract_mean_kernel(const float* x, float* out, float* __restrict__ mean,
                                                                 const double* __restrict__ partial, int parts,
                                                                 int64_t n) {
    __shared__ float block_mean;
    if (threadIdx.x < 32) {
        double sum = 0.0;
        for (int p = threadIdx.x; p < parts; p += 32) sum += partial[p];
        sum = warp_sum(sum);
        if (threadIdx.x == 0) block_mean = static_cast<float>(sum / static_cast<double>(n));
    }
    __syncthreads();
    const float m = block_mean;
    if (blockIdx.x == 0 && threadIdx.x == 0) *mean = m;
    for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < n; i += int64_t{gridDim.x} * kThreads)
        out[i] = x[i] - m;  // x and out may be the same array: each element is read, then written, once
}

__global__ void __launch_bounds__(kThreads) add_offset_kernel(const float* x, float* out,
                                                              const float* __restrict__ offset, int64_t n) {
    const float value = *offset;
    for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < n; i += int64_t{gridDim.x} * kThreads)
        out[i] = x[i] + value;
}

bnb_status launch_center(const float* x, float* out, float* mean, double* partial, int parts, int64_t n,
                         cudaStream_t stream) {
    partial_sums_kernel<<<parts, kThreads, 0, stream>>>(x, n, partial);
    BNB_CUDA_CHECK_LAUNCH("partial_sums_kernel");
    unsigned grid = 0;
    BNB_TRY(resident_grid(subtract_mean_kernel, (n - 1) / kThreads + 1, &grid));
    subtract_mean_kernel<<<grid, kThreads, 0, stream>>>(x, out, mean, partial, parts, n);
    BNB_CUDA_CHECK_LAUNCH("subtract_mean_kernel");
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_center_f32(const float* x, float* out, float* mean, int64_t n, void* stream) {
    return BNB_GUARD({
        BNB_CHECK_COUNT(n);
        BNB_CHECK_NOT_NULL(mean);
        cudaStream_t s = static_cast<cudaStream_t>(stream);
        if (n == 0) {
            BNB_CUDA_CHECK(cudaMemsetAsync(mean, 0, sizeof(float), s));  // as on the CPU: mean 0
            return BNB_OK;
        }
        BNB_CHECK_NOT_NULL(x);
        BNB_CHECK_NOT_NULL(out);
        const int parts = static_cast<int>(std::min<int64_t>(bnb::kMaxParts, (n - 1) / bnb::kPerPart + 1));
        double* partial = nullptr;
        BNB_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&partial), parts * sizeof(double), s));
        bnb_status status = bnb::launch_center(x, out, mean, partial, parts, n, s);
        cudaError_t freed = cudaFreeAsync(partial, s);  // also after a failed launch
        BNB_TRY(status);
        if (freed != cudaSuccess) return bnb::cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(partial, s)");
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_add_offset_f32(const float* x, float* out, const float* offset, int64_t n, void* stream) {
    return BNB_GUARD({
        BNB_CHECK_COUNT(n);
        if (n == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(x);
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_NOT_NULL(offset);
        unsigned grid = 0;
        BNB_TRY(bnb::resident_grid(bnb::add_offset_kernel, (n - 1) / bnb::kThreads + 1, &grid));
        bnb::add_offset_kernel<<<grid, bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(x, out, offset, n);
        BNB_CUDA_CHECK_LAUNCH("add_offset_kernel");
        return BNB_OK;
    });
}
