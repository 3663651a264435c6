// Per-thread last-error slot of libbnb_cpu. The CUDA plugin writes here through an error sink.
#include <stdarg.h>
#include <stdio.h>

#include <string>

#include "common/failure_text.h"
#include "common/status.h"

namespace {
thread_local std::string last_error;
}

namespace bnb {

void set_last_error(const char* detail) { last_error.assign(detail ? detail : ""); }

bnb_status fail(bnb_status status, const char* file, int line, const char* fmt, ...) {
    char full[1200];
    va_list ap;
    va_start(ap, fmt);
    format_failure(full, sizeof full, file, line, fmt, ap);
    va_end(ap);
    last_error.assign(full);
    return status;
}

}  // namespace bnb

extern "C" BNB_API const char* bnb_last_error(void) { return last_error.c_str(); }

extern "C" BNB_API const char* bnb_version(void) { return "0.1.0"; }
