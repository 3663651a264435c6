// The dtype conversion of bnb/nn_ops.h on the GPU: a grid-stride loop, through f32 with one rounding to nearest
// even (__float2half_rn, __float2bfloat16_rn), the bits of the CPU function for every non-NaN value.
#include <stdint.h>

#include "common/nn_checks.h"
#include "cuda/entry_points.h"
#include "cuda/nn/nn_common.cuh"

namespace bnb {
namespace {

template <int32_t S, int32_t D>
__global__ void __launch_bounds__(kNnThreads)
    cast_kernel(const typename CudaElement<S>::type* x, typename CudaElement<D>::type* out, int64_t n) {
    for (int64_t i = blockIdx.x * int64_t{kNnThreads} + threadIdx.x; i < n; i += int64_t{gridDim.x} * kNnThreads)
        out[i] = CudaElement<D>::from_float(CudaElement<S>::to_float(x[i]));
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_nn_cast(int32_t src_dtype, const void* x, int32_t dst_dtype, void* out, int64_t n,
                                 void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_cast (src_dtype)", src_dtype, [&](auto stag) -> bnb_status {
            return bnb::dispatch_float_dtype("bnb_cuda_nn_cast (dst_dtype)", dst_dtype, [&](auto dtag) -> bnb_status {
                constexpr int32_t S = decltype(stag)::value;
                constexpr int32_t D = decltype(dtag)::value;
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(out);
                bnb::cast_kernel<S, D><<<bnb::nn_blocks(n), bnb::kNnThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                    static_cast<const typename bnb::CudaElement<S>::type*>(x),
                    static_cast<typename bnb::CudaElement<D>::type*>(out), n);
                cudaError_t error = cudaGetLastError();
                if (error != cudaSuccess) return bnb::cuda_fail(error, __FILE__, __LINE__, "cast kernel");
                return BNB_OK;
            });
        });
    });
}
