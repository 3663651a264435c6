// The outlier columns of the mixed-precision decomposition on the GPU (bit for bit cpu/int8_quant.cpp):
// small gathers of [rows, n_columns], one element per thread of a grid-stride loop.
#include <stdint.h>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/int8/launch.cuh"

namespace bnb {
namespace {

constexpr int kThreads = 256;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

// Calls body(r, j, c) for every element of the [rows, n_columns] output, c = columns[j]; an index
// outside [0, cols) writes 0 instead (the host cannot check device indices without a sync).
template <typename Body, typename Zero>
__device__ void for_each_column_element(int64_t rows, int64_t cols, const int64_t* columns, int64_t n_columns,
                                        Body body, Zero zero) {
    const int64_t total = rows * n_columns;
    for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < total; i += int64_t{gridDim.x} * kThreads) {
        const int64_t r = i / n_columns;
        const int64_t c = __ldg(columns + (i - r * n_columns));
        if (c >= 0 && c < cols)
            body(i, r, c);
        else
            zero(i);
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    gather_columns_kernel(const Elem<D>* __restrict__ a, int64_t rows, int64_t cols,
                          const int64_t* __restrict__ columns, int64_t n_columns, Elem<D>* __restrict__ out) {
    for_each_column_element(
        rows, cols, columns, n_columns, [&](int64_t i, int64_t r, int64_t c) { out[i] = a[r * cols + c]; },
        [&](int64_t i) { out[i] = CudaElement<D>::from_float(0.0f); });
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    dequant_columns_kernel(const int8_t* __restrict__ codes, const float* __restrict__ row_stats, int64_t rows,
                           int64_t cols, const int64_t* __restrict__ columns, int64_t n_columns,
                           Elem<D>* __restrict__ out) {
    for_each_column_element(
        rows, cols, columns, n_columns,
        [&](int64_t i, int64_t r, int64_t c) {
            out[i] = CudaElement<D>::from_float(int8_dequant_value(codes[r * cols + c], __ldg(row_stats + r)));
        },
        [&](int64_t i) { out[i] = CudaElement<D>::from_float(0.0f); });
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_int8_gather_columns(int32_t dtype, const void* A, int64_t rows, int64_t cols,
                                             const int64_t* columns, int64_t n_columns, void* out, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_gather_columns", dtype, [&](auto tag) -> bnb_status {
            using T = bnb::Elem<decltype(tag)::value>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_MATRIX(rows, n_columns);
            if (rows == 0 || n_columns == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(columns);
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(out);
            auto kernel = bnb::gather_columns_kernel<decltype(tag)::value>;
            int64_t blocks = 0;
            BNB_TRY(bnb::int8_resident_blocks(kernel, bnb::kThreads, (rows * n_columns - 1) / bnb::kThreads + 1,
                                              &blocks));
            kernel<<<static_cast<unsigned>(blocks), bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                static_cast<const T*>(A), rows, cols, columns, n_columns, static_cast<T*>(out));
            BNB_CUDA_CHECK_LAUNCH("gather_columns_kernel");
            return BNB_OK;
        });
    });
}

bnb_status bnbk_bnb_cuda_int8_dequant_columns(int32_t dtype, const int8_t* codes, const float* row_stats, int64_t rows,
                                              int64_t cols, const int64_t* columns, int64_t n_columns, void* out,
                                              void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_dequant_columns", dtype, [&](auto tag) -> bnb_status {
            using T = bnb::Elem<decltype(tag)::value>;
            BNB_CHECK_MATRIX(rows, cols);
            BNB_CHECK_MATRIX(rows, n_columns);
            if (rows == 0 || n_columns == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(columns);
            BNB_CHECK_NOT_NULL(codes);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(out);
            auto kernel = bnb::dequant_columns_kernel<decltype(tag)::value>;
            int64_t blocks = 0;
            BNB_TRY(bnb::int8_resident_blocks(kernel, bnb::kThreads, (rows * n_columns - 1) / bnb::kThreads + 1,
                                              &blocks));
            kernel<<<static_cast<unsigned>(blocks), bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                codes, row_stats, rows, cols, columns, n_columns, static_cast<T*>(out));
            BNB_CUDA_CHECK_LAUNCH("dequant_columns_kernel");
            return BNB_OK;
        });
    });
}
