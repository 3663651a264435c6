// Quantile estimation on the host, bit for bit what the CUDA kernels compute (bnb/quantiles.h): the groups
// of chunks run in parallel, each group's sum in chunk order, the group sums in group order.
#include <string.h>

#include <algorithm>
#include <vector>

#include "common/dtype_dispatch.h"
#include "common/quantile_plan.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// The value of a sorted key as float.
template <int32_t D>
float key_value(typename bnb::QuantileKey<D>::type key) {
    using Raw = typename bnb::QuantileKey<D>::type;
    using Element = typename bnb::CpuElement<D>::type;
    static_assert(sizeof(Raw) == sizeof(Element), "a key has the width of its element");
    const Raw raw = bnb::QuantileKey<D>::bits(key);
    Element e;
    memcpy(&e, &raw, sizeof e);
    return bnb::CpuElement<D>::load(e);
}

// sums[i] = the picks of quantile i from chunks [first, last), added in chunk order from +0.0.
template <int32_t D>
void sum_group(const typename bnb::QuantileKey<D>::type* a, const bnb::QuantilePlan& plan, int64_t first,
               int64_t last, double* sums) {
    using Key = bnb::QuantileKey<D>;
    std::vector<typename Key::type> keys(plan.valid);
    std::fill(sums, sums + bnb::kQuantiles, 0.0);
    for (int64_t c = first; c < last; ++c) {
        const typename Key::type* chunk = a + c * bnb::kQuantileChunk;
        for (int32_t k = 0; k < plan.valid; ++k) keys[k] = Key::key(chunk[k]);
        std::sort(keys.begin(), keys.end());
        for (int i = 0; i < bnb::kQuantiles; ++i) sums[i] += static_cast<double>(key_value<D>(keys[plan.positions[i]]));
    }
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_estimate_quantiles(int32_t dtype, const void* A, float* out, float offset,
                                                         int32_t num_quantiles, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_estimate_quantiles", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_QUANTILE_ARGS(A, out, offset, num_quantiles, n);
            const bnb::QuantilePlan plan = bnb::make_quantile_plan(n, offset, num_quantiles);
            const auto* a = static_cast<const typename bnb::QuantileKey<D>::type*>(A);
            const int64_t groups = plan.groups();
            std::vector<double> group_sums(static_cast<size_t>(groups) * bnb::kQuantiles);
            bnb::parallel_for(groups, 1, [&](int64_t first, int64_t last) {
                for (int64_t g = first; g < last; ++g)
                    sum_group<D>(a, plan, g * bnb::kQuantileGroup, std::min(plan.chunks, (g + 1) * bnb::kQuantileGroup),
                                 &group_sums[g * bnb::kQuantiles]);
            });
            double means[bnb::kQuantiles];
            for (int i = 0; i < bnb::kQuantiles; ++i) {
                double total = 0.0;
                for (int64_t g = 0; g < groups; ++g) total += group_sums[g * bnb::kQuantiles + i];
                means[i] = total / static_cast<double>(plan.chunks);
            }
            for (int32_t j = 0; j < num_quantiles; ++j) out[j] = static_cast<float>(means[plan.selected[j]]);
            return BNB_OK;
        });
    });
}
