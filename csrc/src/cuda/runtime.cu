// Devices, memory, streams and events of bnb.h: thin checked wrappers of the CUDA runtime.
#include <cuda_runtime_api.h>
#include <stdint.h>
#include <string.h>

#include <atomic>

#include "common/arg_checks.h"
#include "cuda/cuda_check.h"
#include "cuda/entry_points.h"

namespace {

// Makes a device current for a scope and gives the calling thread its own device back afterwards:
// the JVM runs calls on pooled threads, which should not keep a device set by a lower layer.
class DeviceScope {
public:
    DeviceScope() = default;
    DeviceScope(const DeviceScope&) = delete;
    DeviceScope& operator=(const DeviceScope&) = delete;
    ~DeviceScope() {
        if (previous_ >= 0) (void)cudaSetDevice(previous_);
    }
    cudaError_t enter(int device) {
        int current = 0;
        cudaError_t error = cudaGetDevice(&current);
        if (error != cudaSuccess || current == device) return error;
        error = cudaSetDevice(device);
        if (error == cudaSuccess) previous_ = current;
        return error;
    }

private:
    int previous_ = -1;
};

bnb_status check_device(int32_t device) {
    int count = 0;
    BNB_CUDA_CHECK(cudaGetDeviceCount(&count));
    BNB_CHECK_ARG(device >= 0 && device < count, "device must be in [0, %d), got %d", count, device);
    return BNB_OK;
}

cudaStream_t as_stream(void* stream) { return static_cast<cudaStream_t>(stream); }
cudaEvent_t as_event(void* event) { return static_cast<cudaEvent_t>(event); }

bnb_status out_of_memory(const char* call, int64_t bytes, int32_t device) {
    (void)cudaGetLastError();
    size_t free_now = 0;
    size_t total = 0;
    (void)cudaMemGetInfo(&free_now, &total);
    return BNB_FAIL(BNB_ERR_OUT_OF_MEMORY, "%s of %lld bytes on device %d: out of memory (%lld of %lld bytes free)",
                    call, static_cast<long long>(bytes), device, static_cast<long long>(free_now),
                    static_cast<long long>(total));
}

// The default pool returns freed memory to the driver at every synchronisation unless told to keep it; kept, an
// allocation is a pool lookup. Set once per device (setting it again is harmless, so a race only repeats it).
constexpr int kMaxDevices = 64;
std::atomic<bool> pool_keeps_memory[kMaxDevices];

bnb_status keep_freed_memory(int32_t device, cudaMemPool_t* pool) {
    BNB_CUDA_CHECK(cudaDeviceGetDefaultMemPool(pool, device));
    if (device < kMaxDevices && pool_keeps_memory[device].load(std::memory_order_acquire)) return BNB_OK;
    uint64_t keep_all = UINT64_MAX;
    BNB_CUDA_CHECK(cudaMemPoolSetAttribute(*pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
    if (device < kMaxDevices) pool_keeps_memory[device].store(true, std::memory_order_release);
    return BNB_OK;
}

}  // namespace

bnb_status bnbk_bnb_cuda_backend_info(int32_t* built_version, int32_t* runtime_version, char* archs,
                                      int32_t archs_len) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(built_version);
        BNB_CHECK_NOT_NULL(runtime_version);
        BNB_CHECK_NOT_NULL(archs);
        const char* built_archs = BNB_CUDA_ARCHS_STRING;
        int32_t needed = static_cast<int32_t>(strlen(built_archs)) + 1;
        BNB_CHECK_ARG(archs_len >= needed, "archs_len must be >= %d for \"%s\", got %d", needed, built_archs,
                      archs_len);
        int runtime = 0;
        BNB_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
        *built_version = CUDART_VERSION;
        *runtime_version = runtime;
        memcpy(archs, built_archs, static_cast<size_t>(needed));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_set_device(int32_t device) {
    return BNB_GUARD({
        BNB_TRY(check_device(device));
        BNB_CUDA_CHECK(cudaSetDevice(device));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_mem_get_info(int32_t device, int64_t* free_bytes, int64_t* total_bytes) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(free_bytes);
        BNB_CHECK_NOT_NULL(total_bytes);
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        size_t free_now = 0;
        size_t total = 0;
        BNB_CUDA_CHECK(cudaMemGetInfo(&free_now, &total));
        *free_bytes = static_cast<int64_t>(free_now);
        *total_bytes = static_cast<int64_t>(total);
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_malloc(int32_t device, int64_t bytes, void** out) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_COUNT(bytes);
        *out = nullptr;
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        cudaError_t error = cudaMalloc(out, static_cast<size_t>(bytes));
        if (error == cudaErrorMemoryAllocation) return out_of_memory("cudaMalloc", bytes, device);
        BNB_CUDA_CHECK(error);
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_free(int32_t device, void* ptr) {
    return BNB_GUARD({
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        BNB_CUDA_CHECK(cudaFree(ptr));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_malloc_async(int32_t device, int64_t bytes, void* stream, void** out) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_COUNT(bytes);
        *out = nullptr;
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        cudaMemPool_t pool;
        BNB_TRY(keep_freed_memory(device, &pool));
        cudaError_t error = cudaMallocAsync(out, static_cast<size_t>(bytes), as_stream(stream));
        if (error == cudaErrorMemoryAllocation) {
            // What the pool keeps may be what is missing, and memory freed on other streams becomes reusable
            // only once they reach the free: wait for the device, give the pool's spare memory back, retry.
            (void)cudaGetLastError();
            BNB_CUDA_CHECK(cudaDeviceSynchronize());
            BNB_CUDA_CHECK(cudaMemPoolTrimTo(pool, 0));
            error = cudaMallocAsync(out, static_cast<size_t>(bytes), as_stream(stream));
        }
        if (error == cudaErrorMemoryAllocation) return out_of_memory("cudaMallocAsync", bytes, device);
        BNB_CUDA_CHECK(error);
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_free_async(int32_t device, void* ptr, void* stream) {
    return BNB_GUARD({
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        BNB_CUDA_CHECK(cudaFreeAsync(ptr, as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_malloc_host(int64_t bytes, void** out) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_COUNT(bytes);
        *out = nullptr;
        BNB_CUDA_CHECK(cudaMallocHost(out, static_cast<size_t>(bytes)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_free_host(void* ptr) {
    return BNB_GUARD({
        BNB_CUDA_CHECK(cudaFreeHost(ptr));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_malloc_managed(int64_t bytes, void** out) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(out);
        BNB_CHECK_COUNT(bytes);
        *out = nullptr;
        BNB_CUDA_CHECK(cudaMallocManaged(out, static_cast<size_t>(bytes), cudaMemAttachHost));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_free_managed(void* ptr) {
    return BNB_GUARD({
        BNB_CUDA_CHECK(cudaFree(ptr));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_prefetch(void* ptr, int64_t bytes, int32_t device, void* stream, int32_t* prefetched) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(prefetched);
        *prefetched = 0;
        BNB_CHECK_COUNT(bytes);
        if (bytes == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(ptr);
        int asking = device;  // the device whose ability decides; for the host, the current one
        if (device == -1) {
            BNB_CUDA_CHECK(cudaGetDevice(&asking));
        } else {
            BNB_TRY(check_device(device));
        }
        int concurrent = 0;
        BNB_CUDA_CHECK(cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, asking));
        if (!concurrent) return BNB_OK;
#if CUDART_VERSION >= 13000
        cudaMemLocation location{};
        location.type = device == -1 ? cudaMemLocationTypeHost : cudaMemLocationTypeDevice;
        location.id = device == -1 ? 0 : device;
        BNB_CUDA_CHECK(cudaMemPrefetchAsync(ptr, static_cast<size_t>(bytes), location, 0, as_stream(stream)));
#else
        BNB_CUDA_CHECK(cudaMemPrefetchAsync(ptr, static_cast<size_t>(bytes), device == -1 ? cudaCpuDeviceId : device,
                                            as_stream(stream)));
#endif
        *prefetched = 1;
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_memcpy(void* dst, const void* src, int64_t bytes, int32_t kind, void* stream) {
    return BNB_GUARD({
        cudaMemcpyKind cuda_kind;
        switch (kind) {
            case BNB_COPY_HOST_TO_DEVICE: cuda_kind = cudaMemcpyHostToDevice; break;
            case BNB_COPY_DEVICE_TO_HOST: cuda_kind = cudaMemcpyDeviceToHost; break;
            case BNB_COPY_DEVICE_TO_DEVICE: cuda_kind = cudaMemcpyDeviceToDevice; break;
            default:
                return BNB_FAIL(BNB_ERR_INVALID_ARGUMENT,
                                "kind must be BNB_COPY_HOST_TO_DEVICE (%d), BNB_COPY_DEVICE_TO_HOST (%d) or "
                                "BNB_COPY_DEVICE_TO_DEVICE (%d), got %d",
                                BNB_COPY_HOST_TO_DEVICE, BNB_COPY_DEVICE_TO_HOST, BNB_COPY_DEVICE_TO_DEVICE, kind);
        }
        BNB_CHECK_COUNT(bytes);
        if (bytes == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(dst);
        BNB_CHECK_NOT_NULL(src);
        BNB_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cuda_kind, as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_memset(void* dst, int32_t value, int64_t bytes, void* stream) {
    return BNB_GUARD({
        BNB_CHECK_COUNT(bytes);
        if (bytes == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(dst);
        BNB_CUDA_CHECK(cudaMemsetAsync(dst, value, static_cast<size_t>(bytes), as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_stream_create(int32_t device, void** stream) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(stream);
        *stream = nullptr;
        BNB_TRY(check_device(device));
        DeviceScope scope;
        BNB_CUDA_CHECK(scope.enter(device));
        cudaStream_t created = nullptr;
        BNB_CUDA_CHECK(cudaStreamCreateWithFlags(&created, cudaStreamNonBlocking));
        *stream = created;
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_stream_destroy(void* stream) {
    return BNB_GUARD({
        BNB_CHECK_ARG(stream != nullptr, "stream must not be NULL: the default stream cannot be destroyed");
        BNB_CUDA_CHECK(cudaStreamDestroy(as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_stream_synchronize(void* stream) {
    return BNB_GUARD({
        BNB_CUDA_CHECK(cudaStreamSynchronize(as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_event_create(void** event) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(event);
        *event = nullptr;
        cudaEvent_t created = nullptr;
        BNB_CUDA_CHECK(cudaEventCreate(&created));
        *event = created;
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_event_destroy(void* event) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(event);
        BNB_CUDA_CHECK(cudaEventDestroy(as_event(event)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_event_record(void* event, void* stream) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(event);
        BNB_CUDA_CHECK(cudaEventRecord(as_event(event), as_stream(stream)));
        return BNB_OK;
    });
}

bnb_status bnbk_bnb_cuda_event_elapsed(void* start, void* end, float* ms) {
    return BNB_GUARD({
        BNB_CHECK_NOT_NULL(start);
        BNB_CHECK_NOT_NULL(end);
        BNB_CHECK_NOT_NULL(ms);
        BNB_CUDA_CHECK(cudaEventSynchronize(as_event(end)));
        BNB_CUDA_CHECK(cudaEventElapsedTime(ms, as_event(start), as_event(end)));
        return BNB_OK;
    });
}
