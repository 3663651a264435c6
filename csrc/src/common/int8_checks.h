// Argument checks of the int8 entry points (bnb/int8.h), shared by the CPU and CUDA backends; each failure
// names the argument and its value.
#pragma once

#include <math.h>
#include <stdint.h>

#include "common/arg_checks.h"

// rows and cols >= 0 and rows * cols representable in int64_t.
#define BNB_CHECK_MATRIX(rows, cols)                                                                         \
    BNB_CHECK_COUNT(rows);                                                                                   \
    BNB_CHECK_COUNT(cols);                                                                                   \
    BNB_CHECK_ARG((cols) == 0 || (rows) <= INT64_MAX / (cols),                                               \
                  "%s * %s overflows int64_t: %s = %lld, %s = %lld", #rows, #cols, #rows,                    \
                  static_cast<long long>(rows), #cols, static_cast<long long>(cols))

// A threshold of row-wise quantization: 0 (no outliers) or positive; +inf allowed.
#define BNB_CHECK_THRESHOLD(threshold)                                                                       \
    BNB_CHECK_ARG((threshold) >= 0.0f, "threshold must be >= 0 and not NaN, got %g", static_cast<double>(threshold))
