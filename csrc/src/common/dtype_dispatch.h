// One template instance per element type: dispatch_float_dtype() turns the runtime dtype of the C API
// into a DTypeTag that a backend maps to its own element type.
#pragma once

#include <stdint.h>

#include "common/status.h"

namespace bnb {

template <int32_t D>
struct DTypeTag {
    static constexpr int32_t value = D;
};

inline const char* dtype_name(int32_t dtype) {
    switch (dtype) {
        case BNB_F32: return "BNB_F32";
        case BNB_F16: return "BNB_F16";
        case BNB_BF16: return "BNB_BF16";
        case BNB_U8: return "BNB_U8";
        case BNB_I8: return "BNB_I8";
        case BNB_I32: return "BNB_I32";
        case BNB_I64: return "BNB_I64";
        default: return "unknown";
    }
}

// Calls body(DTypeTag<dtype>{}) for BNB_F32, BNB_F16 and BNB_BF16; any other dtype is unsupported.
template <typename Body>
bnb_status dispatch_float_dtype(const char* function, int32_t dtype, Body&& body) {
    switch (dtype) {
        case BNB_F32: return body(DTypeTag<BNB_F32>{});
        case BNB_F16: return body(DTypeTag<BNB_F16>{});
        case BNB_BF16: return body(DTypeTag<BNB_BF16>{});
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                            "%s: dtype %d (%s) is not supported; allowed: %d (BNB_F32), %d (BNB_F16), %d (BNB_BF16)",
                            function, dtype, dtype_name(dtype), BNB_F32, BNB_F16, BNB_BF16);
    }
}

}  // namespace bnb
