// The 4-bit matrix-vector product on the GPU: out[m, n] = A[m, k] * dequant(W)[n, k]^T (+ bias) for
// m <= 16, reading the packed weight once. bf16/f16 products on sm_80 and newer with k % 64 == 0 and
// blocksize >= 64 run on the tensor cores (fourbit_gemv_mma.cuh, table values rounded to the input's
// dtype); everything else on the CUDA cores (fourbit_gemv_simt.cuh, f32 table values).
#include <stdint.h>

#include "common/fourbit_args.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/quant/fourbit.cuh"
#include "cuda/quant/fourbit_gemv_mma.cuh"
#include "cuda/quant/fourbit_gemv_simt.cuh"

namespace bnb {
namespace {

template <bool Nested>
bnb_status gemv(const char* function, int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                const ScaleArgs& scales, const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                int64_t blocksize, void* stream) {
    int device = 0, major = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    const bool mma = mma4::mma_applies(dtype, A, packed, k, blocksize, major);
    return dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
        constexpr int32_t D = decltype(tag)::value;
        const auto s = static_cast<cudaStream_t>(stream);
        if constexpr (D == BNB_BF16 || D == BNB_F16)
            if (mma)
                return mma4::launch_gemv_mma<D, Nested>(quant_type, A, packed, scales, bias, out, m, n, k, blocksize,
                                                        s);
        return simt4::launch_gemv_simt<D, Nested>(quant_type, A, packed, scales, bias, out, m, n, k, blocksize, s);
    });
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_gemv_4bit(int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                                   const float* absmax, const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                                   int64_t blocksize, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_gemv_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_CHECK_NOT_NULL(absmax);
            return bnb::gemv<false>(function, dtype, quant_type, A, packed, bnb::plain_scale_args(absmax), bias, out, m,
                                    n, k, blocksize, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_gemv_4bit_nested(int32_t dtype, int32_t quant_type, const void* A, const uint8_t* packed,
                                          const bnb_4bit_nested_absmax* absmax, const void* bias, void* out, int64_t m,
                                          int64_t n, int64_t k, int64_t blocksize, void* stream) {
    return BNB_GUARD({
        const char* function = "bnb_cuda_gemv_4bit_nested";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_TRY(bnb::check_nested_absmax(function, absmax));
            return bnb::gemv<true>(function, dtype, quant_type, A, packed, bnb::nested_scale_args(*absmax), bias, out,
                                   m, n, k, blocksize, stream);
        });
    });
}
