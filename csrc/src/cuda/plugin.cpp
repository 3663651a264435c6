// The plugin's entry point and its error reporting, which goes to libbnb_cpu through the sink.
#include <stdarg.h>
#include <stdio.h>

#include "common/failure_text.h"
#include "common/status.h"
#include "cuda/entry_points.h"

namespace {
bnb_error_sink error_sink = nullptr;
}

namespace bnb {

bnb_status fail(bnb_status status, const char* file, int line, const char* fmt, ...) {
    char full[1200];
    va_list ap;
    va_start(ap, fmt);
    format_failure(full, sizeof full, file, line, fmt, ap);
    va_end(ap);
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
