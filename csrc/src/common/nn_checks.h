// Argument checks of the nn entry points (bnb/nn_ops.h), shared by the CPU and CUDA backends; each failure
// names the argument and its value. (The Java API checks the same things first, with its own names.)
#pragma once

#include <math.h>
#include <stdint.h>

#include "common/arg_checks.h"
#include "common/dtype_dispatch.h"
#include "common/int8_checks.h"

namespace bnb {

inline const char* activation_name(int32_t activation) {
    switch (activation) {
        case BNB_ACT_RELU: return "BNB_ACT_RELU";
        case BNB_ACT_GELU_ERF: return "BNB_ACT_GELU_ERF";
        case BNB_ACT_GELU_TANH: return "BNB_ACT_GELU_TANH";
        case BNB_ACT_TANH: return "BNB_ACT_TANH";
        case BNB_ACT_SILU: return "BNB_ACT_SILU";
        default: return "unknown";
    }
}

template <int32_t A>
struct ActivationTag {
    static constexpr int32_t value = A;
};

// Calls body(ActivationTag<activation>{}) for the activations of bnb/nn_ops.h; any other is unsupported.
template <typename Body>
bnb_status dispatch_activation(const char* function, int32_t activation, Body&& body) {
    switch (activation) {
        case BNB_ACT_RELU: return body(ActivationTag<BNB_ACT_RELU>{});
        case BNB_ACT_GELU_ERF: return body(ActivationTag<BNB_ACT_GELU_ERF>{});
        case BNB_ACT_GELU_TANH: return body(ActivationTag<BNB_ACT_GELU_TANH>{});
        case BNB_ACT_TANH: return body(ActivationTag<BNB_ACT_TANH>{});
        case BNB_ACT_SILU: return body(ActivationTag<BNB_ACT_SILU>{});
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED, "%s: activation %d is not supported; allowed: %d (RELU) .. %d (SILU)",
                            function, activation, BNB_ACT_RELU, BNB_ACT_SILU);
    }
}

// Calls body(int32_t{}) or body(int64_t{}) for index_dtype BNB_I32 or BNB_I64; any other is unsupported.
template <typename Body>
bnb_status dispatch_index_dtype(const char* function, const char* name, int32_t index_dtype, Body&& body) {
    switch (index_dtype) {
        case BNB_I32: return body(int32_t{});
        case BNB_I64: return body(int64_t{});
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED, "%s: %s %d (%s) is not supported; allowed: %d (BNB_I32), %d (BNB_I64)",
                            function, name, index_dtype, dtype_name(index_dtype), BNB_I32, BNB_I64);
    }
}

}  // namespace bnb

#define BNB_CHECK_BROADCAST(n, nb)                                                                          \
    BNB_CHECK_ARG((nb) >= 1 && (n) % (nb) == 0, "nb must be >= 1 and divide n = %lld, got %lld",           \
                  static_cast<long long>(n), static_cast<long long>(nb))

#define BNB_CHECK_DROPOUT_P(p) \
    BNB_CHECK_ARG((p) >= 0.0f && (p) <= 1.0f, "p must be in [0, 1], got %g", static_cast<double>(p))

#define BNB_CHECK_EPS(eps) \
    BNB_CHECK_ARG((eps) >= 0.0f && isfinite(eps), "eps must be finite and >= 0, got %g", static_cast<double>(eps))

#define BNB_CHECK_ROW_BYTES(row_bytes) \
    BNB_CHECK_ARG((row_bytes) >= 1, "row_bytes must be >= 1, got %lld", static_cast<long long>(row_bytes))
