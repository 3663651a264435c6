// The row ops of bnb/nn_ops.h on the host: column sums (a bias gradient) and LayerNorm forward and backward.
// Sums are f32 in row order, so the results do not depend on the thread count.
#include <math.h>
#include <stdint.h>

#include <vector>

#include "common/nn_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 16;

int64_t rows_per_thread(int64_t cols) { return std::max<int64_t>(1, kElementsPerThread / std::max<int64_t>(1, cols)); }

template <int32_t D>
using Elem = typename bnb::CpuElement<D>::type;

// out[c] = (accumulate ? out[c] : 0) + sum_r column(r, c), for a column(r, c) in f32, one thread per column slice.
template <int32_t D, typename Column>
void column_sums(int64_t rows, int64_t cols, Elem<D>* out, bool accumulate, const Column& column) {
    using E = bnb::CpuElement<D>;
    bnb::parallel_for(cols, std::max<int64_t>(1, kElementsPerThread / std::max<int64_t>(1, rows)),
                      [&](int64_t first, int64_t last) {
                          std::vector<float> sums(static_cast<size_t>(last - first), 0.0f);
                          for (int64_t r = 0; r < rows; ++r)
                              for (int64_t c = first; c < last; ++c) sums[c - first] += column(r, c);
                          for (int64_t c = first; c < last; ++c)
                              out[c] = E::store((accumulate ? E::load(out[c]) : 0.0f) + sums[c - first]);
                      });
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_nn_sum_rows(int32_t dtype, const void* x, int64_t rows, int64_t cols, void* out,
                                                  int32_t accumulate) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_sum_rows", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_MATRIX(rows, cols);
            if (cols == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(out);
            if (rows > 0) BNB_CHECK_NOT_NULL(x);
            auto in = static_cast<const Elem<D>*>(x);
            column_sums<D>(rows, cols, static_cast<Elem<D>*>(out), accumulate != 0,
                           [&](int64_t r, int64_t c) { return E::load(in[r * cols + c]); });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_layer_norm(int32_t dtype, const void* x, const void* weight, const void* bias,
                                                    float eps, int64_t rows, int64_t cols, void* y, float* mean,
                                                    float* rstd) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_layer_norm", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_ARG(cols >= 1, "cols must be >= 1, got %lld", static_cast<long long>(cols));
            BNB_CHECK_EPS(eps);
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(y);
            auto in = static_cast<const Elem<D>*>(x);
            auto w = static_cast<const Elem<D>*>(weight);
            auto b = static_cast<const Elem<D>*>(bias);
            auto out = static_cast<Elem<D>*>(y);
            bnb::parallel_for(rows, rows_per_thread(cols), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r) {
                    const Elem<D>* row = in + r * cols;
                    float sum = 0.0f;
                    for (int64_t c = 0; c < cols; ++c) sum += E::load(row[c]);
                    const float mu = sum / static_cast<float>(cols);
                    float squares = 0.0f;  // two passes: no cancellation for rows far from zero
                    for (int64_t c = 0; c < cols; ++c) {
                        const float d = E::load(row[c]) - mu;
                        squares += d * d;
                    }
                    const float rs = 1.0f / sqrtf(squares / static_cast<float>(cols) + eps);
                    for (int64_t c = 0; c < cols; ++c) {
                        float v = (E::load(row[c]) - mu) * rs;
                        if (w) v *= E::load(w[c]);
                        if (b) v += E::load(b[c]);
                        out[r * cols + c] = E::store(v);
                    }
                    if (mean) mean[r] = mu;
                    if (rstd) rstd[r] = rs;
                }
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_layer_norm_backward(int32_t dtype, const void* grad_y, const void* x,
                                                             const void* weight, const float* mean, const float* rstd,
                                                             int64_t rows, int64_t cols, void* grad_x,
                                                             void* grad_weight, void* grad_bias) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_layer_norm_backward", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_ARG(cols >= 1, "cols must be >= 1, got %lld", static_cast<long long>(cols));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(grad_y);
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(mean);
            BNB_CHECK_NOT_NULL(rstd);
            auto dy = static_cast<const Elem<D>*>(grad_y);
            auto in = static_cast<const Elem<D>*>(x);
            auto w = static_cast<const Elem<D>*>(weight);
            auto xhat = [&](int64_t r, int64_t c) { return (E::load(in[r * cols + c]) - mean[r]) * rstd[r]; };
            if (grad_weight)
                column_sums<D>(rows, cols, static_cast<Elem<D>*>(grad_weight), true,
                               [&](int64_t r, int64_t c) { return E::load(dy[r * cols + c]) * xhat(r, c); });
            if (grad_bias)
                column_sums<D>(rows, cols, static_cast<Elem<D>*>(grad_bias), true,
                               [&](int64_t r, int64_t c) { return E::load(dy[r * cols + c]); });
            if (!grad_x) return BNB_OK;
            auto dx = static_cast<Elem<D>*>(grad_x);
            bnb::parallel_for(rows, rows_per_thread(cols), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r) {
                    auto g = [&](int64_t c) { return E::load(dy[r * cols + c]) * (w ? E::load(w[c]) : 1.0f); };
                    float sum_g = 0.0f, sum_gx = 0.0f;
                    for (int64_t c = 0; c < cols; ++c) {
                        sum_g += g(c);
                        sum_gx += g(c) * xhat(r, c);
                    }
                    const float mean_g = sum_g / static_cast<float>(cols);
                    const float mean_gx = sum_gx / static_cast<float>(cols);
                    for (int64_t c = 0; c < cols; ++c)
                        dx[r * cols + c] = E::store(rstd[r] * (g(c) - mean_g - xhat(r, c) * mean_gx));
                }
            });
            return BNB_OK;
        });
    });
}
