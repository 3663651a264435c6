// Softmax cross-entropy with mean reduction and ignore_index on the GPU (bnb/nn_ops.h). One block per row
// computes the row's log-sum-exp; one block then sums the row losses lse[m] - logits[m, label] and counts the kept
// rows in a fixed order (the same loss every run; no scratch memory, whose stream-ordered allocation would cost
// tens of microseconds of host time per call). A label out of range gives the row a NaN loss, is recorded in the
// bad-index record, and gets a zero gradient row.
#include <math.h>
#include <stdint.h>

#include "common/nn_checks.h"
#include "cuda/entry_points.h"
#include "cuda/nn/nn_common.cuh"

namespace bnb {
namespace {

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int32_t D, typename I>
__global__ void __launch_bounds__(kNnThreads)
    lse_kernel(const Elem<D>* __restrict__ logits, const I* __restrict__ labels, int64_t rows, int64_t classes,
               int64_t ignore_index,
                    float* __restrict__ lse, int64_t* bad_index) {
    __shared__ float scratch[32];
    for (int64_t m = blockIdx.x; m < rows; m += gridDim.x) {
        const Elem<D>* row = logits + m * classes;
        float mx = -INFINITY;
        for (int64_t c = threadIdx.x; c < classes; c += kNnThreads) mx = fmaxf(mx, CudaElement<D>::to_float(row[c]));
        mx = nn_block_max<kNnThreads>(mx, scratch);
        float sum = 0.0f;
        for (int64_t c = threadIdx.x; c < classes; c += kNnThreads) sum += expf(CudaElement<D>::to_float(row[c]) - mx);
        sum = nn_block_sum<kNnThreads>(sum, scratch);
        if (threadIdx.x == 0) {
            lse[m] = mx + logf(sum);
            const int64_t label = labels[m];
            if (label != ignore_index && (label < 0 || label >= classes)) nn_record_bad_index(bad_index, m, label);
        }
    }
}

template <int32_t D, typename I>
__global__ void __launch_bounds__(kNnThreads)
    mean_loss_kernel(const Elem<D>* __restrict__ logits, const I* __restrict__ labels, const float* __restrict__ lse,
                     int64_t rows, int64_t classes, int64_t ignore_index, float* loss, float* count) {
    __shared__ float scratch[32];
    float sum = 0.0f, kept = 0.0f;
    for (int64_t m = threadIdx.x; m < rows; m += kNnThreads) {
        const int64_t label = labels[m];
        if (label == ignore_index) continue;
        sum += label >= 0 && label < classes ? lse[m] - CudaElement<D>::to_float(logits[m * classes + label]) : NAN;
        kept += 1.0f;
    }
    sum = nn_block_sum<kNnThreads>(sum, scratch);
    kept = nn_block_sum<kNnThreads>(kept, scratch);
    if (threadIdx.x == 0) {
        *count = kept;
        *loss = sum / kept;  // 0/0 = NaN when every row is ignored, as torch
    }
}

template <int32_t D, typename I>
__global__ void __launch_bounds__(kNnThreads)
    grad_logits_kernel(const Elem<D>* __restrict__ logits, const I* __restrict__ labels, const float* __restrict__ lse,
                       const float* __restrict__ count, const float* __restrict__ grad_loss, int64_t rows,
                       int64_t classes, int64_t ignore_index, Elem<D>* __restrict__ grad) {
    const float factor = (grad_loss ? *grad_loss : 1.0f) / *count;
    for (int64_t m = blockIdx.x; m < rows; m += gridDim.x) {
        const int64_t label = labels[m];
        const bool kept = label != ignore_index && label >= 0 && label < classes;
        const float l = lse[m];
        for (int64_t c = threadIdx.x; c < classes; c += kNnThreads) {
            const float p = expf(CudaElement<D>::to_float(logits[m * classes + c]) - l);
            grad[m * classes + c] =
                CudaElement<D>::from_float(kept ? factor * (p - (c == label ? 1.0f : 0.0f)) : 0.0f);
        }
    }
}

template <int32_t D, typename I>
bnb_status launch_loss(const Elem<D>* logits, const I* labels, int64_t rows, int64_t classes, int64_t ignore_index,
                       float* loss, float* lse, float* count, int64_t* bad_index, cudaStream_t s) {
    if (rows > 0) {
        lse_kernel<D, I><<<nn_row_blocks(rows), kNnThreads, 0, s>>>(logits, labels, rows, classes, ignore_index, lse,
                                                                    bad_index);
        BNB_CUDA_CHECK_LAUNCH("lse_kernel");
    }
    mean_loss_kernel<D, I><<<1, kNnThreads, 0, s>>>(logits, labels, lse, rows, classes, ignore_index, loss, count);
    BNB_CUDA_CHECK_LAUNCH("mean_loss_kernel");
    return BNB_OK;
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_nn_cross_entropy(int32_t dtype, const void* logits, int32_t label_dtype, const void* labels,
                                          int64_t rows, int64_t classes, int64_t ignore_index, float* loss, float* lse,
                                          float* count, int64_t* bad_index, int64_t* bad_index_host, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_cross_entropy", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cuda_nn_cross_entropy", "label_dtype", label_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(rows, classes);
                BNB_CHECK_ARG(classes >= 1, "classes must be >= 1, got %lld", static_cast<long long>(classes));
                BNB_CHECK_NOT_NULL(loss);
                BNB_CHECK_NOT_NULL(count);
                BNB_CHECK_NOT_NULL(bad_index);
                if (rows > 0) {
                    BNB_CHECK_NOT_NULL(logits);
                    BNB_CHECK_NOT_NULL(labels);
                    BNB_CHECK_NOT_NULL(lse);
                }
                auto s = static_cast<cudaStream_t>(stream);
                BNB_TRY(bnb::launch_loss<D>(static_cast<const bnb::Elem<D>*>(logits), static_cast<const I*>(labels),
                                            rows, classes, ignore_index, loss, lse, count, bad_index, s));
                return bnb::nn_copy_bad_index(bad_index, bad_index_host, s);
            });
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_cross_entropy_backward(int32_t dtype, const void* logits, int32_t label_dtype,
                                                   const void* labels, const float* lse, const float* count,
                                                   const float* grad_loss, int64_t rows, int64_t classes,
                                                   int64_t ignore_index, void* grad_logits, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_cross_entropy_backward", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_index_dtype("bnb_cuda_nn_cross_entropy_backward", "label_dtype", label_dtype,
                                             [&](auto itag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using T = bnb::Elem<D>;
                using I = decltype(itag);
                BNB_CHECK_MATRIX(rows, classes);
                BNB_CHECK_ARG(classes >= 1, "classes must be >= 1, got %lld", static_cast<long long>(classes));
                if (rows == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(logits);
                BNB_CHECK_NOT_NULL(labels);
                BNB_CHECK_NOT_NULL(lse);
                BNB_CHECK_NOT_NULL(count);
                BNB_CHECK_NOT_NULL(grad_logits);
                bnb::grad_logits_kernel<D, I><<<bnb::nn_row_blocks(rows), bnb::kNnThreads, 0,
                                                static_cast<cudaStream_t>(stream)>>>(
                    static_cast<const T*>(logits), static_cast<const I*>(labels), lse, count, grad_loss, rows, classes,
                    ignore_index, static_cast<T*>(grad_logits));
                BNB_CUDA_CHECK_LAUNCH("grad_logits_kernel");
                return BNB_OK;
            });
        });
    });
}
