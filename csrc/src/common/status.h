// Error reporting shared by libbnb_cpu and the CUDA plugin: every failure goes through bnb_fail(),
// which records "file:line: detail" for the calling thread and returns the status.
#pragma once

#include <exception>
#include <new>

#include "bnb/bnb.h"

namespace bnb {

// Records the detail of a failure for the calling thread; returns status unchanged.
bnb_status fail(bnb_status status, const char* file, int line, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

// Runs body (returning bnb_status) and turns any escaping C++ exception into a status.
template <typename Body>
bnb_status guarded(const char* file, int line, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(BNB_ERR_OUT_OF_MEMORY, file, line, "host allocation failed");
    } catch (const std::exception& e) {
        return fail(BNB_ERR_INTERNAL, file, line, "unexpected exception: %s", e.what());
    } catch (...) {
        return fail(BNB_ERR_INTERNAL, file, line, "unexpected non-standard exception");
    }
}

}  // namespace bnb

#define BNB_FAIL(status, ...) ::bnb::fail((status), __FILE__, __LINE__, __VA_ARGS__)
// Variadic so that commas inside the body need no extra parentheses.
#define BNB_GUARD(...) ::bnb::guarded(__FILE__, __LINE__, [&]() -> bnb_status __VA_ARGS__)
#define BNB_CHECK_ARG(cond, ...) \
    do {                         \
        if (!(cond)) return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT, __VA_ARGS__); \
    } while (0)
