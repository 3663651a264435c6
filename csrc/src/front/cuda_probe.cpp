// Reads the CUDA driver version and the GPUs through the driver API, opened with dlopen so that
// libbnb_cpu has no link-time dependency on CUDA and works where no driver is installed.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <mutex>

#include "common/status.h"

namespace {

typedef int (*cu_init_fn)(unsigned int);
typedef int (*cu_driver_get_version_fn)(int*);
typedef int (*cu_device_get_count_fn)(int*);
typedef int (*cu_device_get_fn)(int*, int);
typedef int (*cu_device_get_attribute_fn)(int*, int, int);
typedef int (*cu_device_get_name_fn)(char*, int, int);
typedef int (*cu_device_total_mem_fn)(size_t*, int);

constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

struct Driver {
    bool ok = false;
    char reason[512] = "";
    cu_driver_get_version_fn driver_get_version = nullptr;
    cu_device_get_count_fn device_get_count = nullptr;
    cu_device_get_fn device_get = nullptr;
    cu_device_get_attribute_fn device_get_attribute = nullptr;
    cu_device_get_name_fn device_get_name = nullptr;
    cu_device_total_mem_fn device_total_mem = nullptr;
};

const Driver& driver() {
    static Driver d;
    static std::once_flag once;
    std::call_once(once, [] {
        void* h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(d.reason, sizeof d.reason, "no CUDA driver: %s", dlerror());
            return;
        }
        auto init = reinterpret_cast<cu_init_fn>(dlsym(h, "cuInit"));
        d.driver_get_version = reinterpret_cast<cu_driver_get_version_fn>(dlsym(h, "cuDriverGetVersion"));
        d.device_get_count = reinterpret_cast<cu_device_get_count_fn>(dlsym(h, "cuDeviceGetCount"));
        d.device_get = reinterpret_cast<cu_device_get_fn>(dlsym(h, "cuDeviceGet"));
        d.device_get_attribute = reinterpret_cast<cu_device_get_attribute_fn>(dlsym(h, "cuDeviceGetAttribute"));
        d.device_get_name = reinterpret_cast<cu_device_get_name_fn>(dlsym(h, "cuDeviceGetName"));
        d.device_total_mem = reinterpret_cast<cu_device_total_mem_fn>(dlsym(h, "cuDeviceTotalMem_v2"));
        if (!init || !d.driver_get_version || !d.device_get_count || !d.device_get || !d.device_get_attribute ||
            !d.device_get_name || !d.device_total_mem) {
            snprintf(d.reason, sizeof d.reason, "libcuda.so.1 lacks a driver API entry point");
            return;
        }
        int rc = init(0);
        if (rc != 0) {
            snprintf(d.reason, sizeof d.reason, "cuInit failed with CUresult %d", rc);
            // The version is still readable; device queries are not.
        }
        d.ok = rc == 0;
    });
    return d;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cuda_probe_driver(int32_t* driver_version, int32_t* device_count) {
    return BNB_GUARD({
        BNB_CHECK_ARG(driver_version && device_count, "driver_version and device_count must not be NULL");
        *driver_version = 0;
        *device_count = 0;
        const Driver& d = driver();
        if (d.driver_get_version) {
            int v = 0;
            if (d.driver_get_version(&v) == 0) *driver_version = v;
        }
        if (!d.ok) {
            BNB_FAIL(BNB_OK, "%s", d.reason);  // reported, not an error: no driver means CPU only
            return BNB_OK;
        }
        int count = 0;
        int rc = d.device_get_count(&count);
        if (rc != 0) return BNB_FAIL(BNB_ERR_CUDA, "cuDeviceGetCount failed with CUresult %d", rc);
        *device_count = count;
        return BNB_OK;
    });
}

extern "C" BNB_API bnb_status bnb_cuda_probe_device(int32_t device, int32_t* cc_major, int32_t* cc_minor,
                                                    int64_t* total_bytes, char* name, int32_t name_len) {
    return BNB_GUARD({
        BNB_CHECK_ARG(cc_major && cc_minor && total_bytes && name && name_len > 0,
                      "output arguments must not be NULL and name_len must be > 0, got name_len=%d", name_len);
        const Driver& d = driver();
        if (!d.ok) return BNB_FAIL(BNB_ERR_NO_BACKEND, "%s", d.reason);
        int dev = 0;
        int rc = d.device_get(&dev, device);
        if (rc != 0)
            return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT, "device %d: cuDeviceGet failed with CUresult %d", device, rc);
        int major = 0, minor = 0;
        size_t bytes = 0;
        if ((rc = d.device_get_attribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev)) != 0 ||
            (rc = d.device_get_attribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev)) != 0 ||
            (rc = d.device_total_mem(&bytes, dev)) != 0 || (rc = d.device_get_name(name, name_len, dev)) != 0)
            return BNB_FAIL(BNB_ERR_CUDA, "device %d: driver query failed with CUresult %d", device, rc);
        name[name_len - 1] = '\0';
        *cc_major = major;
        *cc_minor = minor;
        *total_bytes = static_cast<int64_t>(bytes);
        return BNB_OK;
    });
}
