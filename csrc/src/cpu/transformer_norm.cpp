// RMSNorm forward and backward on the host (bnb/transformer.h): one row per task, f32 arithmetic, the
// roundings of transformers' LlamaRMSNorm.
#include <math.h>

#include <vector>

#include "common/transformer_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// Threads pay off from about this many elements.
constexpr int64_t kElementsPerThread = int64_t{1} << 15;

int64_t rows_per_thread(int64_t n) { return std::max<int64_t>(1, kElementsPerThread / n); }

// 1 / sqrt(mean(x^2) + eps) of one row, in f32 as the GPU computes it (a sum then one division).
template <typename E>
float row_rstd(const typename E::type* x, int64_t n, float eps) {
    float sum = 0.0f;
    for (int64_t c = 0; c < n; ++c) {
        const float v = E::load(x[c]);
        sum += v * v;
    }
    return 1.0f / sqrtf(sum / static_cast<float>(n) + eps);
}

// x * rstd, cast to the dtype as transformers' hidden_states.to(input_dtype) does.
template <typename E>
float normalised(typename E::type x, float rstd) {
    return E::load(E::store(E::load(x) * rstd));
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_rms_norm(int32_t dtype, const void* x, const void* weight, void* out,
                                               float* rstd, int64_t rows, int64_t n, float eps) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_rms_norm", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            using T = typename E::type;
            BNB_TRY(bnb::check_rms_norm(rows, n, eps));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(weight);
            BNB_CHECK_NOT_NULL(out);
            auto xs = static_cast<const T*>(x);
            auto w = static_cast<const T*>(weight);
            auto o = static_cast<T*>(out);
            bnb::parallel_for(rows, rows_per_thread(n), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r) {
                    const T* row = xs + r * n;
                    const float s = row_rstd<E>(row, n, eps);
                    if (rstd != nullptr) rstd[r] = s;
                    for (int64_t c = 0; c < n; ++c) o[r * n + c] = E::store(E::load(w[c]) * normalised<E>(row[c], s));
                }
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_rms_norm_backward(int32_t dtype, const void* grad_out, const void* x,
                                                        const void* weight, void* grad_x, void* grad_weight,
                                                        float* rstd, int64_t rows, int64_t n, float eps,
                                                        int32_t accumulate) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_rms_norm_backward", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            using T = typename E::type;
            BNB_TRY(bnb::check_rms_norm(rows, n, eps));
            BNB_TRY(bnb::check_accumulate(accumulate));
            if (rows > 0) {
                BNB_CHECK_NOT_NULL(grad_out);
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(grad_x);
                BNB_CHECK_NOT_NULL(rstd);
            }
            BNB_CHECK_NOT_NULL(weight);
            auto g = static_cast<const T*>(grad_out);
            auto xs = static_cast<const T*>(x);
            auto w = static_cast<const T*>(weight);
            auto gx = static_cast<T*>(grad_x);
            const float inv_n = 1.0f / static_cast<float>(n);
            bnb::parallel_for(rows, rows_per_thread(n), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r) {
                    const T* row = xs + r * n;
                    const T* grow = g + r * n;
                    const float s = row_rstd<E>(row, n, eps);
                    rstd[r] = s;
                    float dot = 0.0f;
                    for (int64_t c = 0; c < n; ++c) dot += E::load(grow[c]) * E::load(w[c]) * E::load(row[c]);
                    const float k = s * s * dot * inv_n;
                    for (int64_t c = 0; c < n; ++c) {
                        const float gh = E::load(grow[c]) * E::load(w[c]);
                        gx[r * n + c] = E::store(s * (gh - E::load(row[c]) * k));
                    }
                }
            });
            if (grad_weight == nullptr) return BNB_OK;
            auto gw = static_cast<T*>(grad_weight);
            // Column sums over the rows, each column on one thread: the order of the sum is fixed.
            bnb::parallel_for(n, std::max<int64_t>(1, kElementsPerThread / std::max<int64_t>(1, rows)),
                              [&](int64_t first, int64_t last) {
                                  for (int64_t c = first; c < last; ++c) {
                                      float sum = accumulate ? E::load(gw[c]) : 0.0f;
                                      float part = 0.0f;
                                      for (int64_t r = 0; r < rows; ++r)
                                          part += E::load(g[r * n + c]) * normalised<E>(xs[r * n + c], rstd[r]);
                                      gw[c] = E::store(sum + part);
                                  }
                              });
            return BNB_OK;
        });
    });
}
