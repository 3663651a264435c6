// Formats the "file:line: detail" text of a failure; libbnb_cpu stores it per thread, the CUDA plugin
// hands it to libbnb_cpu through the error sink.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

namespace bnb {

inline void format_failure(char* out, size_t out_len, const char* file, int line, const char* fmt, va_list ap) {
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    const char* base = file;
    for (const char* p = file; *p; ++p)
        if (*p == '/') base = p + 1;
    snprintf(out, out_len, "%s:%d: %s", base, line, message);
}

}  // namespace bnb
