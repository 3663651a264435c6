// Argument checks shared by the CPU and CUDA entry points; each failure names the argument.
#pragma once

#include "common/status.h"

#define BNB_CHECK_NOT_NULL(ptr) BNB_CHECK_ARG((ptr) != nullptr, "%s must not be NULL", #ptr)
#define BNB_CHECK_COUNT(n) BNB_CHECK_ARG((n) >= 0, "%s must be >= 0, got %lld", #n, static_cast<long long>(n))

// The checks of every blockwise (de)quantization entry point: the count, then, unless there is nothing
// to do (returns BNB_OK for n == 0), the four arrays.
#define BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out) \
    BNB_CHECK_COUNT(n);                                   \
    if ((n) == 0) return BNB_OK;                          \
    BNB_CHECK_NOT_NULL(code);                             \
    BNB_CHECK_NOT_NULL(A);                                \
    BNB_CHECK_NOT_NULL(absmax);                           \
    BNB_CHECK_NOT_NULL(out)

// Returns the status of call unless it is BNB_OK.
#define BNB_TRY(call)                                  \
    do {                                               \
        bnb_status bnb_status_ = (call);               \
        if (bnb_status_ != BNB_OK) return bnb_status_; \
    } while (0)
