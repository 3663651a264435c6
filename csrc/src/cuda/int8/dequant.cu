// Dequantization of row-wise int8 codes and of int32 products on the GPU, bit for bit what
// cpu/int8_quant.cpp and cpu/int8_gemm.cpp compute. Both are memory-bound maps over a matrix.
//
// Column tiles: a thread owns kColumns consecutive columns (its column statistics and bias stay in
// registers) and walks down the rows, two at a time so that two rows of loads are in flight. Rows whose
// length is a multiple of kColumns, with aligned pointers, move as 16-byte vectors; others element by
// element.
#include <stdint.h>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cuda/elements.cuh"
#include "cuda/entry_points.h"
#include "cuda/int8/launch.cuh"

namespace bnb {
namespace {

constexpr int kThreads = 256;
constexpr int kColumns = 8;  // per thread: 32 bytes of int32, 16 or 32 bytes of output
constexpr int kRowsPerStep = 2;

template <int32_t D>
using Elem = typename CudaElement<D>::type;

// out[0 .. kColumns) = y as dtype D, in one or two 16-byte stores (out 16-byte aligned).
template <int32_t D>
__device__ void store_columns(Elem<D>* out, const float (&y)[kColumns]) {
    constexpr int W = kVectorWidth<D>;
#pragma unroll
    for (int h = 0; h < kColumns / W; ++h) {
        float part[W];
#pragma unroll
        for (int v = 0; v < W; ++v) part[v] = y[h * W + v];
        reinterpret_cast<uint4*>(out)[h] = pack_floats<D>(part);
    }
}

// out[0 .. count) = y[0 .. count) as dtype D, element by element.
template <int32_t D>
__device__ void store_columns(Elem<D>* out, const float (&y)[kColumns], int64_t count) {
#pragma unroll
    for (int v = 0; v < kColumns; ++v)
        if (v < count) out[v] = CudaElement<D>::from_float(y[v]);
}

// The kColumns int32 at c (16-byte aligned when whole), 0 past count.
__device__ void load_products(const int32_t* c, bool whole, int64_t count, int32_t (&x)[kColumns]) {
    if (whole) {
        const int4 lo = __ldcs(reinterpret_cast<const int4*>(c));
        const int4 hi = __ldcs(reinterpret_cast<const int4*>(c) + 1);
        const int32_t v[kColumns] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
#pragma unroll
        for (int k = 0; k < kColumns; ++k) x[k] = v[k];
    } else {
#pragma unroll
        for (int k = 0; k < kColumns; ++k) x[k] = k < count ? c[k] : 0;
    }
}

// The kColumns codes at c (8-byte aligned when whole), 0 past count.
__device__ void load_codes8(const int8_t* c, bool whole, int64_t count, int8_t (&x)[kColumns]) {
    if (whole) {
        const uint2 u = __ldcs(reinterpret_cast<const uint2*>(c));
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            x[k] = static_cast<int8_t>(u.x >> (8 * k));
            x[k + 4] = static_cast<int8_t>(u.y >> (8 * k));
        }
    } else {
#pragma unroll
        for (int k = 0; k < kColumns; ++k) x[k] = k < count ? c[k] : 0;
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    mm_dequant_kernel(const int32_t* __restrict__ C, const float* __restrict__ row_stats,
                      const float* __restrict__ col_stats, const Elem<D>* __restrict__ bias, Elem<D>* __restrict__ out,
                      int64_t M, int64_t N, bool aligned) {
    const int64_t c0 = (int64_t{blockIdx.x} * kThreads + threadIdx.x) * kColumns;
    if (c0 >= N) return;
    const int64_t count = N - c0;
    const bool whole = aligned && count >= kColumns;
    float col[kColumns], b[kColumns];
#pragma unroll
    for (int k = 0; k < kColumns; ++k) {
        col[k] = k < count ? __ldg(col_stats + c0 + k) : 0.0f;
        b[k] = bias != nullptr && k < count ? CudaElement<D>::to_float(bias[c0 + k]) : 0.0f;
    }
    for (int64_t r = blockIdx.y; r < M; r += int64_t{kRowsPerStep} * gridDim.y) {
        int32_t x[kRowsPerStep][kColumns];
        float rs[kRowsPerStep];
#pragma unroll
        for (int s = 0; s < kRowsPerStep; ++s) {
            const int64_t row = r + int64_t{s} * gridDim.y;
            if (row < M) {
                load_products(C + row * N + c0, whole, count, x[s]);
                rs[s] = __ldg(row_stats + row);
            }
        }
#pragma unroll
        for (int s = 0; s < kRowsPerStep; ++s) {
            const int64_t row = r + int64_t{s} * gridDim.y;
            if (row >= M) break;
            float y[kColumns];
#pragma unroll
            for (int k = 0; k < kColumns; ++k) y[k] = int8_mm_dequant_value(x[s][k], rs[s], col[k], b[k]);
            if (whole)
                store_columns<D>(out + row * N + c0, y);
            else
                store_columns<D>(out + row * N + c0, y, count);
        }
    }
}

template <int32_t D>
__global__ void __launch_bounds__(kThreads)
    vectorwise_dequant_kernel(const int8_t* __restrict__ codes, const float* __restrict__ row_stats,
                              Elem<D>* __restrict__ out, int64_t rows, int64_t cols, bool aligned) {
    const int64_t c0 = (int64_t{blockIdx.x} * kThreads + threadIdx.x) * kColumns;
    if (c0 >= cols) return;
    const int64_t count = cols - c0;
    const bool whole = aligned && count >= kColumns;
    for (int64_t r = blockIdx.y; r < rows; r += int64_t{kRowsPerStep} * gridDim.y) {
        int8_t x[kRowsPerStep][kColumns];
        float rs[kRowsPerStep];
#pragma unroll
        for (int s = 0; s < kRowsPerStep; ++s) {
            const int64_t row = r + int64_t{s} * gridDim.y;
            if (row < rows) {
                load_codes8(codes + row * cols + c0, whole, count, x[s]);
                rs[s] = __ldg(row_stats + row);
            }
        }
#pragma unroll
        for (int s = 0; s < kRowsPerStep; ++s) {
            const int64_t row = r + int64_t{s} * gridDim.y;
            if (row >= rows) break;
            float y[kColumns];
#pragma unroll
            for (int k = 0; k < kColumns; ++k) y[k] = int8_dequant_value(x[s][k], rs[s]);
            if (whole)
                store_columns<D>(out + row * cols + c0, y);
            else
                store_columns<D>(out + row * cols + c0, y, count);
        }
    }
}

// The grid of a column-tile kernel: one block column per kThreads * kColumns columns, and enough block
// rows to fill the device (each walks the rows with a stride of gridDim.y).
template <typename Kernel>
bnb_status column_tile_grid(Kernel kernel, int64_t rows, int64_t cols, dim3* grid) {
    const int64_t tiles = (cols + int64_t{kThreads} * kColumns - 1) / (int64_t{kThreads} * kColumns);
    int64_t resident = 0;
    BNB_TRY(int8_resident_blocks(kernel, kThreads, INT64_MAX, &resident));
    const int64_t per_tile = std::max<int64_t>(1, resident / tiles);
    const int64_t row_blocks = std::min<int64_t>({(rows + kRowsPerStep - 1) / kRowsPerStep, per_tile, 65535});
    if (tiles > INT32_MAX)
        return BNB_FAIL(BNB_ERR_UNSUPPORTED, "%lld columns are too many for one grid", static_cast<long long>(cols));
    *grid = dim3(static_cast<unsigned>(tiles), static_cast<unsigned>(row_blocks));
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_int8_mm_dequant(int32_t dtype, const int32_t* C, const float* row_stats,
                                         const float* col_stats, const void* bias, void* out, int64_t M, int64_t N,
                                         void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_mm_dequant", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = bnb::Elem<D>;
            BNB_CHECK_MATRIX(M, N);
            if (M == 0 || N == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(C);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(col_stats);
            BNB_CHECK_NOT_NULL(out);
            auto kernel = bnb::mm_dequant_kernel<D>;
            dim3 grid;
            BNB_TRY(bnb::column_tile_grid(kernel, M, N, &grid));
            const bool aligned = N % bnb::kColumns == 0 && reinterpret_cast<uintptr_t>(C) % 16 == 0 &&
                                 reinterpret_cast<uintptr_t>(out) % 16 == 0;
            kernel<<<grid, bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                C, row_stats, col_stats, static_cast<const T*>(bias), static_cast<T*>(out), M, N, aligned);
            BNB_CUDA_CHECK_LAUNCH("mm_dequant_kernel");
            return BNB_OK;
        });
    });
}

bnb_status bnbk_bnb_cuda_int8_vectorwise_dequant(int32_t dtype, const int8_t* codes, const float* row_stats,
                                                 int64_t rows, int64_t cols, void* out, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_int8_vectorwise_dequant", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_MATRIX(rows, cols);
            if (rows == 0 || cols == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(codes);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(out);
            auto kernel = bnb::vectorwise_dequant_kernel<D>;
            dim3 grid;
            BNB_TRY(bnb::column_tile_grid(kernel, rows, cols, &grid));
            const bool aligned = cols % bnb::kColumns == 0 && reinterpret_cast<uintptr_t>(codes) % 8 == 0 &&
                                 reinterpret_cast<uintptr_t>(out) % 16 == 0;
            kernel<<<grid, bnb::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
                codes, row_stats, static_cast<bnb::Elem<D>*>(out), rows, cols, aligned);
            BNB_CUDA_CHECK_LAUNCH("vectorwise_dequant_kernel");
            return BNB_OK;
        });
    });
}
