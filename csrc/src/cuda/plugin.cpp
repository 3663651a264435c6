// The plugin's entry point and its error reporting, which goes to libbnb_cpu through the sink.
#include <stdarg.h>
#include <stdio.h>

#include "common/status.h"
#include "cuda/entry_points.h"

namespace {
bnb_error_sink error_sink = nullptr;
}

namespace bnb {

bnb_status fail(bnb_status status, const char* file, int line, const char* fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char* base = file;
    for (const char* p = file; *p; ++p)
        if (*p == '/') base = p + 1;
    char full[1200];
    snprintf(full, sizeof full, "%s:%d: %s", base, line, message);
    if (error_sink) error_sink(full);
    return status;
}

}  // namespace bnb

extern "C" BNB_API bnb_status bnb_cuda_plugin_init(int32_t abi, bnb_error_sink sink, bnb_cuda_table* table) {
    if (sink == nullptr || table == nullptr) return BNB_ERR_INVALID_ARGUMENT;  // nowhere to say why
    error_sink = sink;
    if (abi != BNB_CUDA_PLUGIN_ABI)
        return BNB_FAIL(BNB_ERR_UNSUPPORTED, "the loader speaks plugin ABI %d, this CUDA plugin ABI %d", abi,
                        BNB_CUDA_PLUGIN_ABI);
#define BNBK_FILL(name, params, args) table->name = &bnbk_##name;
    BNB_CUDA_FUNCTIONS(BNBK_FILL)
#undef BNBK_FILL
    return BNB_OK;
}
