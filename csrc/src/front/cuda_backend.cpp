// Loads the CUDA plugin chosen by the Java loader and forwards every bnb_cuda_* call to it.
#include <dlfcn.h>

#include <mutex>

#include "common/cuda_plugin.h"
#include "common/status.h"

namespace bnb {
void set_last_error(const char* detail);
}

namespace {

std::mutex load_mutex;
bnb_cuda_table table{};
bool loaded = false;

void plugin_error_sink(const char* detail) { bnb::set_last_error(detail); }

}  // namespace

extern "C" BNB_API bnb_status bnb_cuda_backend_load(const char* path) {
    return BNB_GUARD({
        BNB_CHECK_ARG(path != nullptr && *path, "path must name a CUDA backend library, got %s",
                      path ? "\"\"" : "NULL");
        std::lock_guard<std::mutex> lock(load_mutex);
        BNB_CHECK_ARG(!loaded, "a CUDA backend is already loaded; cannot also load %s", path);
        void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) return BNB_FAIL(BNB_ERR_NO_BACKEND, "cannot load %s: %s", path, dlerror());
        auto init = reinterpret_cast<bnb_cuda_plugin_init_fn>(dlsym(handle, BNB_CUDA_PLUGIN_INIT_SYMBOL));
        if (!init) {
            dlclose(handle);
            return BNB_FAIL(BNB_ERR_NO_BACKEND, "%s does not export %s", path, BNB_CUDA_PLUGIN_INIT_SYMBOL);
        }
        bnb_cuda_table candidate{};
        bnb_status status = init(BNB_CUDA_PLUGIN_ABI, plugin_error_sink, &candidate);
        if (status != BNB_OK) {
            dlclose(handle);  // the plugin already recorded why through the sink
            return status;
        }
        table = candidate;
        loaded = true;  // the handle stays open for the life of the process
        return BNB_OK;
    });
}

extern "C" BNB_API int32_t bnb_cuda_backend_loaded(void) { return loaded ? 1 : 0; }

#define BNB_FORWARD(name, params, args)                                                                   \
    extern "C" BNB_API bnb_status name params {                                                           \
        if (!loaded)                                                                                      \
            return BNB_FAIL(BNB_ERR_NO_BACKEND, "%s needs a CUDA backend, and none is loaded", #name);    \
        return table.name args;                                                                           \
    }
BNB_CUDA_FUNCTIONS(BNB_FORWARD)
#undef BNB_FORWARD
