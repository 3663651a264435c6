// Softmax cross-entropy with mean reduction and ignore_index on the host (bnb/nn_ops.h). Labels are checked
// before anything is written.
#include <math.h>
#include <stdint.h>

#include <vector>

#include "common/nn_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

template <typename I>
bnb_status check_labels(const I* labels, int64_t rows, int64_t classes, int64_t ignore_index) {
    for (int64_t m = 0; m < rows; ++m) {
        const int64_t v = labels[m];
        BNB_CHECK_ARG(v == ignore_index || (v >= 0 && v < classes),
                      "labels[%lld] = %lld is neither ignore_index = %lld nor in [0, classes = %lld)",
                      static_cast<long long>(m), static_cast<long long>(v), static_cast<long long>(ignore_index),
                      static_cast<long long>(classes));
    }
    return BNB_OK;
}

int64_t rows_per_thread(int64_t classes) {
    return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, classes));
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_nn_cross_entropy(int32_t dtype, const void* logits, int32_t label_dtype,
                                                       const void* labels, int64_t rows, int64_t classes,
                                                       int64_t ignore_index, float* loss, float* lse, float* count) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_cross_entropy", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cpu_nn_cross_entropy", "label_dtype", label_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using E = bnb::CpuElement<D>;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(rows, classes);
                BNB_CHECK_ARG(classes >= 1, "classes must be >= 1, got %lld", static_cast<long long>(classes));
                BNB_CHECK_NOT_NULL(loss);
                BNB_CHECK_NOT_NULL(count);
                if (rows > 0) {
                    BNB_CHECK_NOT_NULL(logits);
                    BNB_CHECK_NOT_NULL(labels);
                    BNB_CHECK_NOT_NULL(lse);
                }
                auto x = static_cast<const typename E::type*>(logits);
                auto y = static_cast<const I*>(labels);
                BNB_TRY(check_labels(y, rows, classes, ignore_index));
                std::vector<float> row_loss(static_cast<size_t>(rows));
                bnb::parallel_for(rows, rows_per_thread(classes), [&](int64_t first, int64_t last) {
                    for (int64_t m = first; m < last; ++m) {
                        const auto* row = x + m * classes;
                        float mx = -INFINITY;
                        for (int64_t c = 0; c < classes; ++c) mx = fmaxf(mx, E::load(row[c]));
                        float sum = 0.0f;
                        for (int64_t c = 0; c < classes; ++c) sum += expf(E::load(row[c]) - mx);
                        lse[m] = mx + logf(sum);
                        const int64_t label = y[m];
                        row_loss[m] = label == ignore_index ? 0.0f : lse[m] - E::load(row[label]);
                    }
                });
                float total = 0.0f;
                int64_t kept = 0;
                for (int64_t m = 0; m < rows; ++m) {
                    total += row_loss[m];
                    kept += y[m] != ignore_index;
                }
                *count = static_cast<float>(kept);
                *loss = total / static_cast<float>(kept);  // 0/0 = NaN when every row is ignored, as torch
                return BNB_OK;
            });
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_cross_entropy_backward(int32_t dtype, const void* logits,
                                                                int32_t label_dtype, const void* labels,
                                                                const float* lse, const float* count,
                                                                const float* grad_loss, int64_t rows, int64_t classes,
                                                                int64_t ignore_index, void* grad_logits) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_cross_entropy_backward", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cpu_nn_cross_entropy_backward", "label_dtype", label_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using E = bnb::CpuElement<D>;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(rows, classes);
                BNB_CHECK_ARG(classes >= 1, "classes must be >= 1, got %lld", static_cast<long long>(classes));
                if (rows == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(logits);
                BNB_CHECK_NOT_NULL(labels);
                BNB_CHECK_NOT_NULL(lse);
                BNB_CHECK_NOT_NULL(count);
                BNB_CHECK_NOT_NULL(grad_logits);
                auto x = static_cast<const typename E::type*>(logits);
                auto y = static_cast<const I*>(labels);
                BNB_TRY(check_labels(y, rows, classes, ignore_index));
                auto out = static_cast<typename E::type*>(grad_logits);
                const float factor = (grad_loss ? *grad_loss : 1.0f) / *count;
                bnb::parallel_for(rows, rows_per_thread(classes), [&](int64_t first, int64_t last) {
                    for (int64_t m = first; m < last; ++m) {
                        const int64_t label = y[m];
                        for (int64_t c = 0; c < classes; ++c) {
                            const float p = expf(E::load(x[m * classes + c]) - lse[m]);
                            out[m * classes + c] = E::store(
                                label == ignore_index ? 0.0f : factor * (p - (c == label ? 1.0f : 0.0f)));
                        }
                    }
                });
                return BNB_OK;
            });
        });
    });
}
