// Embedding gather and its gradient's scatter-add on the GPU (bnb/nn_ops.h). An index outside [0, num_rows) is
// never followed: its output row is zeros (gather) or it adds nothing (scatter), and it is recorded in the
// caller's bad-index record (see the header's "Index errors").
//
// The gather copies rows of row_bytes bytes in the widest unit (16, 8, 4, 2 or 1 bytes) that divides row_bytes
// and both base addresses, one thread per unit of the output.
#include <stdint.h>

#include "common/nn_checks.h"
#include "cuda/entry_points.h"
#include "cuda/nn/nn_common.cuh"

namespace bnb {
namespace {

template <typename U, typename I>
__global__ void __launch_bounds__(kNnThreads)
    gather_kernel(const U* __restrict__ table, int64_t num_rows, int64_t units, const I* __restrict__ indices,
                  int64_t n, U* __restrict__ out, int64_t* bad_index) {
    const int64_t total = n * units;
    for (int64_t t = blockIdx.x * int64_t{kNnThreads} + threadIdx.x; t < total; t += int64_t{gridDim.x} * kNnThreads) {
        const int64_t i = t / units, u = t - i * units;
        const int64_t v = indices[i];
        if (v >= 0 && v < num_rows) {
            out[t] = table[v * units + u];
        } else {
            out[t] = U{};
            if (u == 0) nn_record_bad_index(bad_index, i, v);
        }
    }
}

template <typename U, typename I>
bnb_status launch_gather(const void* table, int64_t num_rows, int64_t row_bytes, const I* indices, int64_t n,
                         void* out, int64_t* bad_index, cudaStream_t stream) {
    const int64_t units = row_bytes / static_cast<int64_t>(sizeof(U));
    BNB_CHECK_MATRIX(n, units);
    gather_kernel<U, I><<<nn_blocks(n * units), kNnThreads, 0, stream>>>(
        static_cast<const U*>(table), num_rows, units, indices, n, static_cast<U*>(out), bad_index);
    BNB_CUDA_CHECK_LAUNCH("gather_kernel");
    return BNB_OK;
}

template <int32_t D, typename I>
__global__ void __launch_bounds__(kNnThreads)
    scatter_add_kernel(const typename CudaElement<D>::type* __restrict__ grad_out, const I* __restrict__ indices,
                       int64_t n, int64_t num_rows, int64_t dim, int64_t padding_idx,
                       typename CudaElement<D>::type* grad_table, int64_t* bad_index) {
    const int64_t total = n * dim;
    for (int64_t t = blockIdx.x * int64_t{kNnThreads} + threadIdx.x; t < total; t += int64_t{gridDim.x} * kNnThreads) {
        const int64_t i = t / dim, c = t - i * dim;
        const int64_t v = indices[i];
        if (v == padding_idx && padding_idx >= 0) continue;
        if (v >= 0 && v < num_rows) {
            nn_atomic_add<D>(grad_table + v * dim + c, CudaElement<D>::to_float(grad_out[t]));
        } else if (c == 0) {
            nn_record_bad_index(bad_index, i, v);
        }
    }
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_nn_embedding(const void* weight, int64_t num_rows, int64_t row_bytes, int32_t index_dtype,
                                      const void* indices, int64_t n, void* out, int64_t* bad_index,
                                      int64_t* bad_index_host, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_index_dtype("bnb_cuda_nn_embedding", "index_dtype", index_dtype,
                                         [&](auto itag) -> bnb_status {
            using I = decltype(itag);
            BNB_CHECK_COUNT(num_rows);
            BNB_CHECK_ROW_BYTES(row_bytes);
            BNB_CHECK_MATRIX(n, row_bytes);
            BNB_CHECK_MATRIX(num_rows, row_bytes);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(indices);
            BNB_CHECK_NOT_NULL(out);
            BNB_CHECK_NOT_NULL(bad_index);
            if (num_rows > 0) BNB_CHECK_NOT_NULL(weight);
            auto s = static_cast<cudaStream_t>(stream);
            auto idx = static_cast<const I*>(indices);
            const uintptr_t alignment = reinterpret_cast<uintptr_t>(weight) | reinterpret_cast<uintptr_t>(out) |
                                        static_cast<uintptr_t>(row_bytes);
            if (alignment % 16 == 0)
                BNB_TRY(bnb::launch_gather<uint4>(weight, num_rows, row_bytes, idx, n, out, bad_index, s));
            else if (alignment % 8 == 0)
                BNB_TRY(bnb::launch_gather<uint2>(weight, num_rows, row_bytes, idx, n, out, bad_index, s));
            else if (alignment % 4 == 0)
                BNB_TRY(bnb::launch_gather<uint32_t>(weight, num_rows, row_bytes, idx, n, out, bad_index, s));
            else if (alignment % 2 == 0)
                BNB_TRY(bnb::launch_gather<uint16_t>(weight, num_rows, row_bytes, idx, n, out, bad_index, s));
            else
                BNB_TRY(bnb::launch_gather<uint8_t>(weight, num_rows, row_bytes, idx, n, out, bad_index, s));
            return bnb::nn_copy_bad_index(bad_index, bad_index_host, s);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_embedding_backward(int32_t dtype, const void* grad_out, int32_t index_dtype,
                                               const void* indices, int64_t n, int64_t num_rows, int64_t dim,
                                               int64_t padding_idx, void* grad_table, int64_t* bad_index,
                                               int64_t* bad_index_host, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_embedding_backward", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cuda_nn_embedding_backward", "index_dtype", index_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using T = typename bnb::CudaElement<D>::type;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(n, dim);
                BNB_CHECK_MATRIX(num_rows, dim);
                if (n == 0 || dim == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(indices);
                BNB_CHECK_NOT_NULL(grad_out);
                BNB_CHECK_NOT_NULL(bad_index);
                if (num_rows > 0) BNB_CHECK_NOT_NULL(grad_table);
                auto s = static_cast<cudaStream_t>(stream);
                bnb::scatter_add_kernel<D, I><<<bnb::nn_blocks(n * dim), bnb::kNnThreads, 0, s>>>(
                    static_cast<const T*>(grad_out), static_cast<const I*>(indices), n, num_rows, dim, padding_idx,
                    static_cast<T*>(grad_table), bad_index);
                BNB_CUDA_CHECK_LAUNCH("scatter_add_kernel");
                return bnb::nn_copy_bad_index(bad_index, bad_index_host, s);
            });
        });
    });
}
