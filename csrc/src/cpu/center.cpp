// Centering of the absmax vector before nested quantization, and its inverse.
#include <vector>

#include "common/arg_checks.h"
#include "cpu/parallel.h"

namespace {

// The partial sums cover fixed slices, so the mean does not depend on the number of threads.
constexpr int64_t kSlice = int64_t{1} << 16;

float mean_of(const float* x, int64_t n) {
    int64_t slices = (n - 1) / kSlice + 1;
    std::vector<double> partial(static_cast<size_t>(slices));
    bnb::parallel_for(slices, 1, [&](int64_t first, int64_t last) {
        for (int64_t s = first; s < last; ++s) {
            double sum = 0.0;
            for (int64_t i = s * kSlice, end = std::min(n, i + kSlice); i < end; ++i) sum += x[i];
            partial[static_cast<size_t>(s)] = sum;
        }
    });
    double sum = 0.0;
    for (double p : partial) sum += p;
    return static_cast<float>(sum / static_cast<double>(n));
}

void add_all(const float* x, float* out, float value, int64_t n) {
    bnb::parallel_for(n, kSlice, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) out[i] = x[i] + value;
    });
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_center_f32(const float* x, float* out, float* mean, int64_t n) {
    return BNB_GUARD({
        BNB_CHECK_COUNT(n);
        BNB_CHECK_NOT_NULL(mean);
        if (n == 0) {
            *mean = 0.0f;  // nothing to centre; 0 keeps a later add_offset a no-op
            return BNB_OK;
        }
        BNB_CHECK_NOT_NULL(x);
        BNB_CHECK_NOT_NULL(out);
        float m = mean_of(x, n);
        *mean = m;
        // x - m, written as x + (-m): the same IEEE result, and one loop for both directions.
        add_all(x, out, -m, n);
        return BNB_OK;
    });
}

extern "C" BNB_API bnb_status bnb_cpu_add_offset_f32(const float* x, float* out, const float* offset, int64_t n) {
    return BNB_GUARD({
        BNB_CHECK_COUNT(n);
        if (n == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(x);
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_NOT_NULL(offset);
        add_all(x, out, *offset, n);
        return BNB_OK;
    });
}
