// Softmax and argmax over the last dimension on the host (bnb/transformer.h).
#include <math.h>

#include "common/transformer_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 15;

int64_t rows_per_thread(int64_t n) { return std::max<int64_t>(1, kElementsPerThread / n); }

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_softmax(int32_t dtype, const void* x, int32_t out_dtype, void* out, int64_t rows,
                                              int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_softmax", dtype, [&](auto in_tag) -> bnb_status {
            return bnb::dispatch_float_dtype("bnb_cpu_softmax (out_dtype)", out_dtype, [&](auto out_tag) -> bnb_status {
                using In = bnb::CpuElement<decltype(in_tag)::value>;
                using Out = bnb::CpuElement<decltype(out_tag)::value>;
                BNB_TRY(bnb::check_last_dim(rows, n));
                if (rows == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(out);
                auto xs = static_cast<const typename In::type*>(x);
                auto o = static_cast<typename Out::type*>(out);
                bnb::parallel_for(rows, rows_per_thread(n), [&](int64_t first, int64_t last) {
                    for (int64_t r = first; r < last; ++r) {
                        const auto* row = xs + r * n;
                        float max = -INFINITY;
                        bool nan = false;
                        for (int64_t c = 0; c < n; ++c) {
                            const float v = In::load(row[c]);
                            nan |= isnan(v);
                            max = fmaxf(max, v);
                        }
                        if (nan) max = NAN;  // fmaxf skips NaN; softmax of a row with NaN is NaN
                        // A sequential f32 sum over a vocabulary loses about n/2 ulps; the GPU's tree of partial
                        // sums does not. A double sum keeps the CPU as accurate.
                        double total = 0.0;
                        for (int64_t c = 0; c < n; ++c) total += expf(In::load(row[c]) - max);
                        const float sum = static_cast<float>(total);
                        // A row of values (x - max) is read again rather than kept: rows can be large.
                        for (int64_t c = 0; c < n; ++c) o[r * n + c] = Out::store(expf(In::load(row[c]) - max) / sum);
                    }
                });
                return BNB_OK;
            });
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_argmax(int32_t dtype, const void* x, int64_t* out, int64_t rows, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_argmax", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            BNB_TRY(bnb::check_last_dim(rows, n));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            auto xs = static_cast<const typename E::type*>(x);
            bnb::parallel_for(rows, rows_per_thread(n), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r) {
                    const auto* row = xs + r * n;
                    int64_t best = 0;
                    float best_value = E::load(row[0]);
                    for (int64_t c = 1; c < n && !isnan(best_value); ++c) {
                        const float v = E::load(row[c]);
                        if (v > best_value || isnan(v)) {  // strictly greater: ties keep the lower index
                            best = c;
                            best_value = v;
                        }
                    }
                    out[r] = best;
                }
            });
            return BNB_OK;
        });
    });
}
