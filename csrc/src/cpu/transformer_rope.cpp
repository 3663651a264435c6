// Rotary position embedding on the host (bnb/transformer.h), with transformers' roundings to the dtype.
#include <math.h>

#include "common/transformer_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 15;

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_rope(int32_t dtype, const void* x, void* out, const float* inv_freq,
                                           int64_t batch, int64_t T, int64_t heads, int64_t d, int64_t start) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_rope", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            using V = typename E::type;
            BNB_TRY(bnb::check_rope(batch, T, heads, d, start));
            if (batch == 0 || T == 0 || heads == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            BNB_CHECK_NOT_NULL(inv_freq);
            auto xs = static_cast<const V*>(x);
            auto o = static_cast<V*>(out);
            const int64_t half = d / 2;
            auto round = [](float v) { return E::load(E::store(v)); };
            // One task per token: its cos and sin serve every head.
            bnb::parallel_for(batch * T, std::max<int64_t>(1, kElementsPerThread / (heads * d)),
                              [&](int64_t first, int64_t last) {
                                  for (int64_t bt = first; bt < last; ++bt) {
                                      const float position = static_cast<float>(start + bt % T);
                                      for (int64_t i = 0; i < half; ++i) {
                                          const float angle = inv_freq[i] * position;
                                          const float c = round(cosf(angle));
                                          const float s = round(sinf(angle));
                                          for (int64_t h = 0; h < heads; ++h) {
                                              const int64_t base = (bt * heads + h) * d;
                                              const float a = E::load(xs[base + i]);
                                              const float b = E::load(xs[base + i + half]);
                                              o[base + i] = E::store(round(a * c) + round(-b * s));
                                              o[base + i + half] = E::store(round(b * c) + round(a * s));
                                          }
                                      }
                                  }
                              });
            return BNB_OK;
        });
    });
}
