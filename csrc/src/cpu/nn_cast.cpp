// The dtype conversion of bnb/nn_ops.h on the host: through f32 (exact from 16 bits), one rounding to nearest even
// (common/half_convert.h), so CPU and CUDA give the same bits for every non-NaN value.
#include <stdint.h>

#include "common/nn_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 16;

template <int32_t S, int32_t D>
void convert(const void* x, void* out, int64_t n) {
    using From = bnb::CpuElement<S>;
    using To = bnb::CpuElement<D>;
    auto in = static_cast<const typename From::type*>(x);
    auto o = static_cast<typename To::type*>(out);
    bnb::parallel_for(n, kElementsPerThread, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) o[i] = To::store(From::load(in[i]));
    });
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_nn_cast(int32_t src_dtype, const void* x, int32_t dst_dtype, void* out,
                                              int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_cast (src_dtype)", src_dtype, [&](auto stag) -> bnb_status {
            return bnb::dispatch_float_dtype("bnb_cpu_nn_cast (dst_dtype)", dst_dtype, [&](auto dtag) -> bnb_status {
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(out);
                convert<decltype(stag)::value, decltype(dtag)::value>(x, out, n);
                return BNB_OK;
            });
        });
    });
}
