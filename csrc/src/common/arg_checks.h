// Argument checks shared by the CPU and CUDA entry points; each failure names the argument.
#pragma once

#include "common/status.h"

#define BNB_CHECK_NOT_NULL(ptr) BNB_CHECK_ARG((ptr) != nullptr, "%s must not be NULL", #ptr)
#define BNB_CHECK_COUNT(n) BNB_CHECK_ARG((n) >= 0, "%s must be >= 0, got %lld", #n, static_cast<long long>(n))

// The checks of every blockwise (de)quantization entry point: the count, then, unless there is nothing
// to do (returns BNB_OK for n == 0), the four arrays. (Entry points that take buffer lengths check them
// first with BNB_CHECK_BLOCKWISE_SIZES, after BNB_CHECK_COUNT.)
#define BNB_CHECK_BLOCKWISE_ARGS(n, code, A, absmax, out) \
    BNB_CHECK_COUNT(n);                                   \
    if ((n) == 0) return BNB_OK;                          \
    BNB_CHECK_NOT_NULL(code);                             \
    BNB_CHECK_NOT_NULL(A);                                \
    BNB_CHECK_NOT_NULL(absmax);                           \
    BNB_CHECK_NOT_NULL(out)

// ceil(n / blocksize) for n >= 0 and blocksize >= 1, without overflow.
inline int64_t bnb_block_count(int64_t n, int64_t blocksize) { return n / blocksize + (n % blocksize != 0); }

// The buffer lengths of a blockwise (de)quantization (blocksize >= 1, n >= 0 checked before): the code
// book must hold 256 entries and absmax one entry per block, or the kernels would read out of bounds.
#define BNB_CHECK_BLOCKWISE_SIZES(code_len, absmax_len, blocksize, n)                                        \
    BNB_CHECK_ARG((code_len) == BNB_CODE_BOOK_8BIT, "code_len must be %d (one f32 per 8-bit code), got %lld", \
                  BNB_CODE_BOOK_8BIT, static_cast<long long>(code_len));                                     \
    BNB_CHECK_ARG((absmax_len) >= bnb_block_count((n), (blocksize)),                                          \
                  "absmax_len must be >= ceil(n / blocksize) = %lld for n = %lld and blocksize = %lld, got %lld", \
                  static_cast<long long>(bnb_block_count((n), (blocksize))), static_cast<long long>(n),     \
                  static_cast<long long>(blocksize), static_cast<long long>(absmax_len))

// Returns the status of call unless it is BNB_OK.
#define BNB_TRY(call)                                  \
    do {                                               \
        bnb_status bnb_status_ = (call);               \
        if (bnb_status_ != BNB_OK) return bnb_status_; \
    } while (0)
