// LLM.int8() row-wise quantization and the outlier columns on the host, bit for bit what the CUDA
// kernels of cuda/int8/ compute (the shared arithmetic is in common/int8_math.h).
#include <math.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// Threads pay off from about this many elements.
constexpr int64_t kElementsPerThread = int64_t{1} << 16;

int64_t rows_per_thread(int64_t cols) { return std::max<int64_t>(1, kElementsPerThread / std::max<int64_t>(1, cols)); }

// Quantizes rows [first, last); sets outlier[c] for every column with an outlier in them.
template <int32_t D>
void quantize_rows(const typename bnb::CpuElement<D>::type* a, int64_t cols, float threshold, int8_t* codes,
                   float* row_stats, uint8_t* outlier, int64_t first, int64_t last) {
    using E = bnb::CpuElement<D>;
    for (int64_t r = first; r < last; ++r) {
        const auto* row = a + r * cols;
        float absmax = 0.0f;
        for (int64_t c = 0; c < cols; ++c) {
            float x = fabsf(E::load(row[c]));
            if (bnb::int8_is_outlier(x, threshold))
                outlier[c] = 1;
            else
                absmax = fmaxf(absmax, x);  // NaN ignored
        }
        row_stats[r] = absmax;
        const float scale = bnb::int8_scale(absmax);
        int8_t* out = codes + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
            float x = E::load(row[c]);
            out[c] = bnb::int8_is_outlier(fabsf(x), threshold) ? 0 : bnb::int8_code(x * scale);
        }
    }
}

// Fails naming the first index of columns outside [0, cols).
bnb_status check_columns(const int64_t* columns, int64_t n_columns, int64_t cols) {
    for (int64_t j = 0; j < n_columns; ++j)
        BNB_CHECK_ARG(columns[j] >= 0 && columns[j] < cols, "columns[%lld] = %lld is outside [0, cols = %lld)",
                      static_cast<long long>(j), static_cast<long long>(columns[j]), static_cast<long long>(cols));
    return BNB_OK;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_int8_vectorwise_quant(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                                            float threshold, int8_t* codes, float* row_stats,
                                                            int64_t* outlier_cols, int64_t* n_outliers) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_int8_vectorwise_quant", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_THRESHOLD(threshold);
            const bool sparse = threshold > 0.0f;
            if (sparse) {
                BNB_CHECK_NOT_NULL(outlier_cols);
                BNB_CHECK_NOT_NULL(n_outliers);
            }
            if (rows > 0 && cols > 0) {
                BNB_CHECK_NOT_NULL(A);
                BNB_CHECK_NOT_NULL(codes);
            }
            if (rows > 0) BNB_CHECK_NOT_NULL(row_stats);

            auto a = static_cast<const typename bnb::CpuElement<D>::type*>(A);
            std::vector<uint8_t> outlier(sparse ? cols : 0);
            std::mutex outlier_mutex;
            bnb::parallel_for(rows, rows_per_thread(cols), [&](int64_t first, int64_t last) {
                std::vector<uint8_t> mine(outlier.size());
                quantize_rows<D>(a, cols, threshold, codes, row_stats, mine.data(), first, last);
                std::lock_guard<std::mutex> lock(outlier_mutex);
                for (size_t c = 0; c < mine.size(); ++c) outlier[c] |= mine[c];
            });
            if (!sparse) return BNB_OK;

            int64_t n = 0;
            for (int64_t c = 0; c < cols; ++c)
                if (outlier[c]) outlier_cols[n++] = c;
            *n_outliers = n;
            // Whole outlier columns leave the int8 product: their values go through the 16-bit one.
            bnb::parallel_for(rows, rows_per_thread(n), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r)
                    for (int64_t j = 0; j < n; ++j) codes[r * cols + outlier_cols[j]] = 0;
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_int8_vectorwise_dequant(int32_t dtype, const int8_t* codes,
                                                              const float* row_stats, int64_t rows, int64_t cols,
                                                              void* out) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_int8_vectorwise_dequant", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_MATRIX(rows, cols);
            if (rows == 0 || cols == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(codes);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(out);
            auto o = static_cast<typename E::type*>(out);
            bnb::parallel_for(rows, rows_per_thread(cols), [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r)
                    for (int64_t c = 0; c < cols; ++c)
                        o[r * cols + c] = E::store(bnb::int8_dequant_value(codes[r * cols + c], row_stats[r]));
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_int8_gather_columns(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                                          const int64_t* columns, int64_t n_columns, void* out) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_int8_gather_columns", dtype, [&](auto tag) -> bnb_status {
            using T = typename bnb::CpuElement<decltype(tag)::value>::type;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_MATRIX(rows, n_columns);
            if (n_columns == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(columns);
            BNB_TRY(check_columns(columns, n_columns, cols));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(out);
            auto a = static_cast<const T*>(A);
            auto o = static_cast<T*>(out);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t j = 0; j < n_columns; ++j) o[r * n_columns + j] = a[r * cols + columns[j]];
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_int8_dequant_columns(int32_t dtype, const int8_t* codes, const float* row_stats,
                                                           int64_t rows, int64_t cols, const int64_t* columns,
                                                           int64_t n_columns, void* out) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_int8_dequant_columns", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_MATRIX(rows, n_columns);
            if (n_columns == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(columns);
            BNB_TRY(check_columns(columns, n_columns, cols));
            if (rows == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(codes);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(out);
            auto o = static_cast<typename E::type*>(out);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t j = 0; j < n_columns; ++j)
                    o[r * n_columns + j] =
                        E::store(bnb::int8_dequant_value(codes[r * cols + columns[j]], row_stats[r]));
            return BNB_OK;
        });
    });
}
