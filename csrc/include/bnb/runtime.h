/*
 * bnb4j C API, runtime family: the library itself, the CUDA driver probe, the CUDA backend plugin, and
 * CUDA memory, streams and events. Conventions: bnb/bnb.h.
 */
#ifndef BNB_RUNTIME_H
#define BNB_RUNTIME_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copy directions for bnb_cuda_memcpy. */
#define BNB_COPY_HOST_TO_DEVICE 1
#define BNB_COPY_DEVICE_TO_HOST 2
#define BNB_COPY_DEVICE_TO_DEVICE 3

/* ---- library ------------------------------------------------------------------------------- */

/* Detail of the last failure on the calling thread ("" when none). Valid until the next call. */
BNB_API const char* bnb_last_error(void);
/* Version of the C API, e.g. "0.1.0". */
BNB_API const char* bnb_version(void);

/* ---- CUDA driver probe (needs no CUDA backend; reads libcuda.so.1 through dlopen) ----------- */

/* driver_version: [1] out, e.g. 13000 for 13.0, 0 when no driver; device_count: [1] out, 0 when none.
 * Never fails because a driver is missing: that is reported as zeros plus a reason in bnb_last_error(). */
BNB_API bnb_status bnb_cuda_probe_driver(int32_t* driver_version, int32_t* device_count);
/* cc_major, cc_minor: [1] out; total_bytes: [1] out; name: [name_len] caller buffer, NUL-terminated on
 * return. */
BNB_API bnb_status bnb_cuda_probe_device(int32_t device, int32_t* cc_major, int32_t* cc_minor,
                                         int64_t* total_bytes, char* name, int32_t name_len);

/* ---- CUDA backend plugin -------------------------------------------------------------------- */

/* Loads libbnb_cuda{MAJOR}{MINOR} from path (a NUL-terminated file name) and binds its entry points.
 * Loading a second backend while one is loaded returns BNB_ERR_INVALID_ARGUMENT. */
BNB_API bnb_status bnb_cuda_backend_load(const char* path);
/* 1 when a CUDA backend is loaded, else 0. */
BNB_API int32_t bnb_cuda_backend_loaded(void);
/* built_version: [1] out, CUDA toolkit the backend was compiled with (e.g. 13000); runtime_version: [1]
 * out, the CUDA runtime it runs on; archs: [archs_len] caller buffer, receives e.g.
 * "75,80,86,89,90,100,120". */
BNB_API bnb_status bnb_cuda_backend_info(int32_t* built_version, int32_t* runtime_version, char* archs,
                                         int32_t archs_len);

/* ---- CUDA memory, streams, events ----------------------------------------------------------- */
/* stream: a cudaStream_t (NULL is the legacy default stream); event: a cudaEvent_t. */

BNB_API bnb_status bnb_cuda_set_device(int32_t device);
/* free_bytes, total_bytes: [1] out. */
BNB_API bnb_status bnb_cuda_mem_get_info(int32_t device, int64_t* free_bytes, int64_t* total_bytes);
/* out: [1] out, a device allocation of bytes on device. Out of memory returns BNB_ERR_OUT_OF_MEMORY, as
 * do the other allocations below. */
BNB_API bnb_status bnb_cuda_malloc(int32_t device, int64_t bytes, void** out);
/* ptr: from bnb_cuda_malloc on the same device. */
BNB_API bnb_status bnb_cuda_free(int32_t device, void* ptr);
/* out: [1] out, bytes of device memory from the device's stream-ordered pool, usable on stream from this
 * point of its order. Freed memory stays in the pool for reuse (no synchronisation, no driver call on the hot
 * path); out of memory first returns what the pool holds to the driver and tries once more. */
BNB_API bnb_status bnb_cuda_malloc_async(int32_t device, int64_t bytes, void* stream, void** out);
/* ptr: from bnb_cuda_malloc_async on the same device; freed in stream's order (work queued on stream before
 * this call may still use it; nothing queued after may). */
BNB_API bnb_status bnb_cuda_free_async(int32_t device, void* ptr, void* stream);
/* Page-locked host memory. out: [1] out. */
BNB_API bnb_status bnb_cuda_malloc_host(int64_t bytes, void** out);
/* ptr: from bnb_cuda_malloc_host. */
BNB_API bnb_status bnb_cuda_free_host(void* ptr);
/* Managed (unified) memory, attached to the host until prefetched. out: [1] out. */
BNB_API bnb_status bnb_cuda_malloc_managed(int64_t bytes, void** out);
/* ptr: from bnb_cuda_malloc_managed. */
BNB_API bnb_status bnb_cuda_free_managed(void* ptr);
/* ptr: [bytes] managed memory; device = -1 prefetches to the host. Returns OK without work when the
 * device cannot do concurrent managed access; prefetched: [1] out, tells which happened. */
BNB_API bnb_status bnb_cuda_prefetch(void* ptr, int64_t bytes, int32_t device, void* stream,
                                     int32_t* prefetched);
/* dst, src: [bytes] each, on the sides kind names. Asynchronous on stream; kind is one of BNB_COPY_*. */
BNB_API bnb_status bnb_cuda_memcpy(void* dst, const void* src, int64_t bytes, int32_t kind, void* stream);
/* dst: [bytes] device memory, every byte set to value. */
BNB_API bnb_status bnb_cuda_memset(void* dst, int32_t value, int64_t bytes, void* stream);
/* stream: [1] out, a new non-blocking stream on device. */
BNB_API bnb_status bnb_cuda_stream_create(int32_t device, void** stream);
BNB_API bnb_status bnb_cuda_stream_destroy(void* stream);
BNB_API bnb_status bnb_cuda_stream_synchronize(void* stream);
/* event: [1] out. */
BNB_API bnb_status bnb_cuda_event_create(void** event);
BNB_API bnb_status bnb_cuda_event_destroy(void* event);
BNB_API bnb_status bnb_cuda_event_record(void* event, void* stream);
/* Waits for end, then ms: [1] out, the elapsed time between start and end. */
BNB_API bnb_status bnb_cuda_event_elapsed(void* start, void* end, float* ms);

#ifdef __cplusplus
}
#endif

#endif /* BNB_RUNTIME_H */
