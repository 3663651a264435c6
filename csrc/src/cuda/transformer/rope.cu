// Rotary position embedding on the GPU (bnb/transformer.h): one block per token; a thread owns one
// frequency (its cos and sin) and rotates that pair of elements in every head.
#include "common/transformer_checks.h"
#include "cuda/cuda_check.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/transformer/reduce.cuh"

namespace bnb {
namespace {

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int32_t D>
__device__ float round_to(float v) {
    return CudaElement<D>::to_float(CudaElement<D>::from_float(v));
}

template <int32_t D>
__global__ void rope_kernel(const Elem<D>* x, Elem<D>* out, const float* __restrict__ inv_freq, int64_t tokens,
                            int64_t T, int64_t heads, int64_t d, int64_t start) {
    const int64_t half = d / 2;
    for (int64_t bt = blockIdx.x; bt < tokens; bt += gridDim.x) {
        const float position = static_cast<float>(start + bt % T);
        for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
            float s, c;
            sincosf(__fmul_rn(inv_freq[i], position), &s, &c);  // no contraction: the product is rounded
            c = round_to<D>(c);
            s = round_to<D>(s);
            for (int64_t h = 0; h < heads; ++h) {
                const int64_t base = (bt * heads + h) * d;
                const float a = CudaElement<D>::to_float(x[base + i]);
                const float b = CudaElement<D>::to_float(x[base + i + half]);
                out[base + i] =
                    CudaElement<D>::from_float(round_to<D>(__fmul_rn(a, c)) + round_to<D>(__fmul_rn(-b, s)));
                out[base + i + half] =
                    CudaElement<D>::from_float(round_to<D>(__fmul_rn(b, c)) + round_to<D>(__fmul_rn(a, s)));
            }
        }
    }
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_rope(int32_t dtype, const void* x, void* out, const float* inv_freq, int64_t batch, int64_t T,
                              int64_t heads, int64_t d, int64_t start, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_rope", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using V = bnb::Elem<D>;
            BNB_TRY(bnb::check_rope(batch, T, heads, d, start));
            if (batch == 0 || T == 0 || heads == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            BNB_CHECK_NOT_NULL(inv_freq);
            // A warp or more per token; 128 threads cover head dims up to 256 in one step.
            const int threads = static_cast<int>(std::min<int64_t>(128, (d / 2 + 31) / 32 * 32));
            bnb::rope_kernel<D><<<bnb::row_blocks(batch * T), threads, 0, static_cast<cudaStream_t>(stream)>>>(
                static_cast<const V*>(x), static_cast<V*>(out), inv_freq, batch * T, T, heads, d, start);
            BNB_CUDA_CHECK_LAUNCH("rope_kernel");
            return BNB_OK;
        });
    });
}
