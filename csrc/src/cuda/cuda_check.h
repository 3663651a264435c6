// Turns failed CUDA runtime calls into BNB_ERR_CUDA with the error's name and text.
#pragma once

#include <cuda_runtime_api.h>

#include "common/status.h"

namespace bnb {

inline bnb_status cuda_fail(cudaError_t error, const char* file, int line, const char* what) {
    // Clear the runtime's last error, so that a later launch check does not report this one again.
    (void)cudaGetLastError();
    return fail(error == cudaErrorMemoryAllocation ? BNB_ERR_OUT_OF_MEMORY : BNB_ERR_CUDA, file, line,
                "%s failed: %s (%s)", what, cudaGetErrorName(error), cudaGetErrorString(error));
}

}  // namespace bnb

#define BNB_CUDA_CHECK(call)                                                     \
    do {                                                                         \
        cudaError_t bnb_error_ = (call);                                         \
        if (bnb_error_ != cudaSuccess) return ::bnb::cuda_fail(bnb_error_, __FILE__, __LINE__, #call); \
    } while (0)

// After a kernel launch (name: a string literal): a bad configuration, or an earlier asynchronous
// fault of the context, shows up here.
#define BNB_CUDA_CHECK_LAUNCH(name)                                                                     \
    do {                                                                                                \
        cudaError_t bnb_error_ = cudaGetLastError();                                                    \
        if (bnb_error_ != cudaSuccess) return ::bnb::cuda_fail(bnb_error_, __FILE__, __LINE__, "launch of " name); \
    } while (0)
