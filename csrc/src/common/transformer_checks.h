// Argument checks of the transformer entry points (bnb/transformer.h), shared by the CPU and CUDA backends;
// each failure names the argument and its value. They run before anything is read or written.
#pragma once

#include <math.h>
#include <stdint.h>

#include <initializer_list>

#include "common/arg_checks.h"

namespace bnb {

// The product of counts (each checked >= 0 before) into *out, or a failure naming what overflows int64_t.
inline bnb_status checked_product(const char* what, std::initializer_list<int64_t> counts, int64_t* out) {
    int64_t product = 1;
    for (int64_t c : counts) {
        if (c != 0 && product > INT64_MAX / c)
            return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT, "the element count of %s overflows int64_t", what);
        product *= c;
    }
    *out = product;
    return BNB_OK;
}

// The checks of bnb_*_rms_norm and its backward, up to the pointers.
inline bnb_status check_rms_norm(int64_t rows, int64_t n, float eps) {
    BNB_CHECK_COUNT(rows);
    BNB_CHECK_ARG(n >= 1, "n must be >= 1, got %lld", static_cast<long long>(n));
    BNB_CHECK_ARG(isfinite(eps) && eps >= 0.0f, "eps must be finite and >= 0, got %g", static_cast<double>(eps));
    int64_t elements = 0;
    return checked_product("x [rows, n]", {rows, n}, &elements);
}

// The checks of bnb_*_rope, up to the pointers. Positions must stay exact in f32 (at most 2^24).
inline bnb_status check_rope(int64_t batch, int64_t T, int64_t heads, int64_t d, int64_t start) {
    BNB_CHECK_COUNT(batch);
    BNB_CHECK_COUNT(T);
    BNB_CHECK_COUNT(heads);
    BNB_CHECK_ARG(d >= 2 && d % 2 == 0, "d must be even and >= 2, got %lld", static_cast<long long>(d));
    BNB_CHECK_ARG(start >= 0 && start <= (int64_t{1} << 24) - T,
                  "start must be >= 0 with start + T <= 2^24, got start %lld, T %lld", static_cast<long long>(start),
                  static_cast<long long>(T));
    int64_t elements = 0;
    return checked_product("x [batch, T, heads, d]", {batch, T, heads, d}, &elements);
}

// The checks of bnb_*_attention, up to the pointers.
inline bnb_status check_attention(int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                                  int64_t kv_len, int64_t kv_stride, float scale, int64_t workspace_len) {
    BNB_CHECK_COUNT(batch);
    BNB_CHECK_COUNT(T);
    BNB_CHECK_ARG(kv_heads >= 1, "kv_heads must be >= 1, got %lld", static_cast<long long>(kv_heads));
    BNB_CHECK_ARG(q_heads >= 1 && q_heads % kv_heads == 0,
                  "q_heads must be a positive multiple of kv_heads = %lld, got %lld", static_cast<long long>(kv_heads),
                  static_cast<long long>(q_heads));
    BNB_CHECK_ARG(d >= 1, "d must be >= 1, got %lld", static_cast<long long>(d));
    BNB_CHECK_ARG(kv_len >= T, "kv_len must be >= T = %lld (the queries are the last T positions), got %lld",
                  static_cast<long long>(T), static_cast<long long>(kv_len));
    BNB_CHECK_ARG(kv_stride >= kv_len, "kv_stride must be >= kv_len = %lld, got %lld", static_cast<long long>(kv_len),
                  static_cast<long long>(kv_stride));
    BNB_CHECK_ARG(isfinite(scale) && scale > 0.0f, "scale must be finite and > 0, got %g", static_cast<double>(scale));
    BNB_CHECK_COUNT(workspace_len);
    int64_t elements = 0;
    BNB_TRY(checked_product("q [batch, T, q_heads, d]", {batch, T, q_heads, d}, &elements));
    return checked_product("k [batch, kv_stride, kv_heads, d]", {batch, kv_stride, kv_heads, d}, &elements);
}

// The checks of bnb_*_softmax and bnb_*_argmax, up to the pointers.
inline bnb_status check_last_dim(int64_t rows, int64_t n) {
    BNB_CHECK_COUNT(rows);
    BNB_CHECK_ARG(n >= 1, "n must be >= 1, got %lld", static_cast<long long>(n));
    int64_t elements = 0;
    return checked_product("x [rows, n]", {rows, n}, &elements);
}

inline bnb_status check_accumulate(int32_t accumulate) {
    BNB_CHECK_ARG(accumulate == 0 || accumulate == 1, "accumulate must be 0 (overwrite) or 1 (add), got %d",
                  accumulate);
    return BNB_OK;
}

}  // namespace bnb
