// Argument checks of the 4-bit entry points, shared by the CPU library and the CUDA plugin so that both
// reject the same calls with the same status.
#pragma once

#include "common/arg_checks.h"
#include "common/fourbit_codes.h"

namespace bnb {

inline bnb_status check_quant_type(const char* function, int32_t quant_type) {
    if (quant_type == BNB_QUANT_NF4 || quant_type == BNB_QUANT_FP4) return BNB_OK;
    return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                    "%s: quant_type %d is not supported; allowed: %d (BNB_QUANT_FP4), %d (BNB_QUANT_NF4)",
                    function, quant_type, BNB_QUANT_FP4, BNB_QUANT_NF4);
}

inline bool is_four_bit_blocksize(int64_t blocksize) {
    return blocksize >= 32 && blocksize <= 4096 && (blocksize & (blocksize - 1)) == 0;
}

inline bnb_status check_four_bit_blocksize(const char* function, int64_t blocksize) {
    if (is_four_bit_blocksize(blocksize)) return BNB_OK;
    return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                    "%s: blocksize %lld is not supported for 4-bit; allowed: 32, 64, 128, 256, 512, 1024, 2048, 4096",
                    function, static_cast<long long>(blocksize));
}

inline bnb_status check_nested_absmax(const char* function, const bnb_4bit_nested_absmax* absmax) {
    if (absmax == nullptr) return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT, "%s: absmax must not be NULL", function);
    if (absmax->codes == nullptr || absmax->code == nullptr || absmax->absmax2 == nullptr || absmax->offset == nullptr)
        return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT,
                        "%s: every field of the nested absmax must be set (codes %p, code %p, absmax2 %p, offset %p)",
                        function, static_cast<const void*>(absmax->codes), static_cast<const void*>(absmax->code),
                        static_cast<const void*>(absmax->absmax2), static_cast<const void*>(absmax->offset));
    return BNB_OK;
}

// The checks of every gemv entry point before its scales: the kinds, the sizes, then (unless there is
// nothing to do: returns BNB_OK for n == 0) the arrays.
#define BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k)                       \
    BNB_TRY(::bnb::check_quant_type(function, quant_type));                                                    \
    BNB_TRY(::bnb::check_four_bit_blocksize(function, blocksize));                                             \
    BNB_CHECK_ARG((m) >= 1 && (m) <= BNB_GEMV_4BIT_MAX_ROWS, "%s: m must be in 1..%d, got %lld", function,     \
                  BNB_GEMV_4BIT_MAX_ROWS, static_cast<long long>(m));                                          \
    BNB_CHECK_COUNT(n);                                                                                        \
    BNB_CHECK_COUNT(k);                                                                                        \
    if ((n) == 0) return BNB_OK;                                                                               \
    BNB_CHECK_NOT_NULL(out);                                                                                   \
    if ((k) > 0) {                                                                                             \
        BNB_CHECK_NOT_NULL(A);                                                                                 \
        BNB_CHECK_NOT_NULL(packed);                                                                            \
    }

}  // namespace bnb
