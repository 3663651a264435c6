// Rotary position embedding on the GPU (bnb/transformer.h): one thread per (token, head, frequency) rotates
// that pair of elements; cos and sin are recomputed per head (cheaper than the latency of a loop over heads).
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
__global__ void rope_kernel(const Elem<D>* x, Elem<D>* out, const float* __restrict__ inv_freq, int64_t pairs,
                            int64_t T, int64_t heads, int64_t d, int64_t start) {
    const int64_t half = d / 2;
    for (int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; p < pairs; p += int64_t{gridDim.x} * blockDim.x) {
        const int64_t i = p % half;
        const int64_t token_head = p / half;  // (b * T + t) * heads + h
        const float position = static_cast<float>(start + (token_head / heads) % T);
        float s, c;
        sincosf(__fmul_rn(inv_freq[i], position), &s, &c);  // no contraction: the product is rounded
        c = round_to<D>(c);
        s = round_to<D>(s);
        const int64_t base = token_head * d;
        const float a = CudaElement<D>::to_float(x[base + i]);
        const float b = CudaElement<D>::to_float(x[base + i + half]);
        out[base + i] = CudaElement<D>::from_float(round_to<D>(__fmul_rn(a, c)) + round_to<D>(__fmul_rn(-b, s)));
        out[base + i + half] =
            CudaElement<D>::from_float(round_to<D>(__fmul_rn(b, c)) + round_to<D>(__fmul_rn(a, s)));
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
            // One thread per rotated pair: a decode step's 32 heads x 64 pairs spread over several SMs instead of
            // one block looping over the heads.
            const int64_t pairs = batch * T * heads * (d / 2);
            const int threads = 256;
            const unsigned blocks = bnb::row_blocks((pairs + threads - 1) / threads);
            bnb::rope_kernel<D><<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>(
                static_cast<const V*>(x), static_cast<V*>(out), inv_freq, pairs, T, heads, d, start);
            BNB_CUDA_CHECK_LAUNCH("rope_kernel");
            return BNB_OK;
        });
    });
}
