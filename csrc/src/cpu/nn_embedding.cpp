// Embedding gather and its gradient's scatter-add on the host (bnb/nn_ops.h). Every index is checked before
// anything is written.
#include <stdint.h>
#include <string.h>

#include "common/nn_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// Fails naming the first index outside [0, num_rows) that is not padding_idx.
template <typename I>
bnb_status check_indices(const I* indices, int64_t n, int64_t num_rows, int64_t padding_idx) {
    for (int64_t i = 0; i < n; ++i) {
        const int64_t v = indices[i];
        if (v == padding_idx && padding_idx >= 0) continue;
        BNB_CHECK_ARG(v >= 0 && v < num_rows, "indices[%lld] = %lld is outside [0, num_rows = %lld)",
                      static_cast<long long>(i), static_cast<long long>(v), static_cast<long long>(num_rows));
    }
    return BNB_OK;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_nn_embedding(const void* weight, int64_t num_rows, int64_t row_bytes,
                                                   int32_t index_dtype, const void* indices, int64_t n, void* out) {
    return BNB_GUARD({
        return bnb::dispatch_index_dtype("bnb_cpu_nn_embedding", "index_dtype", index_dtype,
                                         [&](auto itag) -> bnb_status {
            using I = decltype(itag);
            BNB_CHECK_COUNT(num_rows);
            BNB_CHECK_ROW_BYTES(row_bytes);
            BNB_CHECK_MATRIX(n, row_bytes);
            BNB_CHECK_MATRIX(num_rows, row_bytes);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(indices);
            BNB_CHECK_NOT_NULL(out);
            auto idx = static_cast<const I*>(indices);
            BNB_TRY(check_indices(idx, n, num_rows, -1));
            BNB_CHECK_NOT_NULL(weight);  // num_rows >= 1 here: an index lies in [0, num_rows)
            auto src = static_cast<const uint8_t*>(weight);
            auto dst = static_cast<uint8_t*>(out);
            const int64_t per_thread = std::max<int64_t>(1, (int64_t{1} << 18) / row_bytes);
            bnb::parallel_for(n, per_thread, [&](int64_t first, int64_t last) {
                for (int64_t i = first; i < last; ++i)
                    memcpy(dst + i * row_bytes, src + static_cast<int64_t>(idx[i]) * row_bytes,
                           static_cast<size_t>(row_bytes));
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_embedding_backward(int32_t dtype, const void* grad_out, int32_t index_dtype,
                                                            const void* indices, int64_t n, int64_t num_rows,
                                                            int64_t dim, int64_t padding_idx, void* grad_table) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_embedding_backward", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cpu_nn_embedding_backward", "index_dtype", index_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using E = bnb::CpuElement<D>;
                using T = typename E::type;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(n, dim);
                BNB_CHECK_MATRIX(num_rows, dim);
                if (n == 0 || dim == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(indices);
                BNB_CHECK_NOT_NULL(grad_out);
                auto idx = static_cast<const I*>(indices);
                BNB_TRY(check_indices(idx, n, num_rows, padding_idx));
                if (num_rows == 0) return BNB_OK;  // every index was padding_idx
                BNB_CHECK_NOT_NULL(grad_table);
                auto g = static_cast<const T*>(grad_out);
                auto table = static_cast<T*>(grad_table);
                // Columns in parallel, indices in order: the same sums whatever the thread count.
                bnb::parallel_for(dim, std::max<int64_t>(1, (int64_t{1} << 16) / n), [&](int64_t first, int64_t last) {
                    for (int64_t i = 0; i < n; ++i) {
                        const int64_t v = idx[i];
                        if (v == padding_idx) continue;
                        for (int64_t c = first; c < last; ++c)
                            table[v * dim + c] = E::store(E::load(table[v * dim + c]) + E::load(g[i * dim + c]));
                    }
                });
                return BNB_OK;
            });
        });
    });
}
