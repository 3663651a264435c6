/*
 * bnb4j C API: the only header JavaCPP parses.
 *
 * Conventions
 *  - Every function returns a bnb_status (0 = BNB_OK). None exits, aborts or lets a C++ exception
 *    escape. After a failure, bnb_last_error() holds "file:line: detail" for the calling thread.
 *  - Element counts and sizes are int64_t.
 *  - bnb_cpu_* functions take host pointers. bnb_cuda_* functions take device pointers and an explicit
 *    stream (a cudaStream_t passed as void*; NULL is the legacy default stream) and are served by the
 *    CUDA backend library loaded with bnb_cuda_backend_load(); without one they return
 *    BNB_ERR_NO_BACKEND.
 *  - Runtime choices (dtype, blocksize) go through exhaustive switches: an unsupported value returns
 *    BNB_ERR_UNSUPPORTED, never a silent no-op.
 */
#ifndef BNB_BNB_H
#define BNB_BNB_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BNB_API __declspec(dllexport)
#else
#define BNB_API __attribute__((visibility("default")))
#endif

/* Status codes. Keep in sync with io.github.bnb4j.nativelib.Status. */
#define BNB_OK 0
#define BNB_ERR_INVALID_ARGUMENT 1
#define BNB_ERR_UNSUPPORTED 2
#define BNB_ERR_CUDA 3
#define BNB_ERR_OUT_OF_MEMORY 4
#define BNB_ERR_NO_BACKEND 5
#define BNB_ERR_INTERNAL 6

/* Element types. Keep in sync with io.github.bnb4j.core.DType. */
#define BNB_F32 0
#define BNB_F16 1
#define BNB_BF16 2
#define BNB_U8 3
#define BNB_I8 4
#define BNB_I32 5
#define BNB_I64 6

/* Copy directions for bnb_cuda_memcpy. */
#define BNB_COPY_HOST_TO_DEVICE 1
#define BNB_COPY_DEVICE_TO_HOST 2
#define BNB_COPY_DEVICE_TO_DEVICE 3

typedef int32_t bnb_status;

/* ---- library ------------------------------------------------------------------------------- */

/* Detail of the last failure on the calling thread ("" when none). Valid until the next call. */
BNB_API const char* bnb_last_error(void);
/* Version of the C API, e.g. "0.1.0". */
BNB_API const char* bnb_version(void);

/* ---- CUDA driver probe (needs no CUDA backend; reads libcuda.so.1 through dlopen) ----------- */

/* driver_version: e.g. 13000 for 13.0, 0 when no driver; device_count: 0 when none. Never fails
 * because a driver is missing: that is reported as zeros plus a reason in bnb_last_error(). */
BNB_API bnb_status bnb_cuda_probe_driver(int32_t* driver_version, int32_t* device_count);
/* name: caller buffer of name_len bytes, NUL-terminated on return. */
BNB_API bnb_status bnb_cuda_probe_device(int32_t device, int32_t* cc_major, int32_t* cc_minor,
                                         int64_t* total_bytes, char* name, int32_t name_len);

/* ---- CUDA backend plugin -------------------------------------------------------------------- */

/* Loads libbnb_cuda{MAJOR}{MINOR} from path and binds its entry points. Loading a second backend
 * while one is loaded returns BNB_ERR_INVALID_ARGUMENT. */
BNB_API bnb_status bnb_cuda_backend_load(const char* path);
/* 1 when a CUDA backend is loaded, else 0. */
BNB_API int32_t bnb_cuda_backend_loaded(void);
/* built_version: CUDA toolkit the backend was compiled with (e.g. 13000); runtime_version: the
 * CUDA runtime it runs on; archs: caller buffer, receives e.g. "75,80,86,89,90,100,120". */
BNB_API bnb_status bnb_cuda_backend_info(int32_t* built_version, int32_t* runtime_version, char* archs,
                                         int32_t archs_len);

/* ---- CUDA memory, streams, events ----------------------------------------------------------- */

BNB_API bnb_status bnb_cuda_set_device(int32_t device);
BNB_API bnb_status bnb_cuda_mem_get_info(int32_t device, int64_t* free_bytes, int64_t* total_bytes);
/* out: device allocation of bytes on device. Out of memory returns BNB_ERR_OUT_OF_MEMORY. */
BNB_API bnb_status bnb_cuda_malloc(int32_t device, int64_t bytes, void** out);
BNB_API bnb_status bnb_cuda_free(int32_t device, void* ptr);
/* Page-locked host memory. */
BNB_API bnb_status bnb_cuda_malloc_host(int64_t bytes, void** out);
BNB_API bnb_status bnb_cuda_free_host(void* ptr);
/* Managed (unified) memory, attached to the host until prefetched. */
BNB_API bnb_status bnb_cuda_malloc_managed(int64_t bytes, void** out);
BNB_API bnb_status bnb_cuda_free_managed(void* ptr);
/* device = -1 prefetches to the host. Returns OK without work when the device cannot do
 * concurrent managed access; *prefetched tells which happened. */
BNB_API bnb_status bnb_cuda_prefetch(void* ptr, int64_t bytes, int32_t device, void* stream,
                                     int32_t* prefetched);
/* Asynchronous on stream; kind is one of BNB_COPY_*. */
BNB_API bnb_status bnb_cuda_memcpy(void* dst, const void* src, int64_t bytes, int32_t kind, void* stream);
BNB_API bnb_status bnb_cuda_memset(void* dst, int32_t value, int64_t bytes, void* stream);
BNB_API bnb_status bnb_cuda_stream_create(int32_t device, void** stream);
BNB_API bnb_status bnb_cuda_stream_destroy(void* stream);
BNB_API bnb_status bnb_cuda_stream_synchronize(void* stream);
BNB_API bnb_status bnb_cuda_event_create(void** event);
BNB_API bnb_status bnb_cuda_event_destroy(void* event);
BNB_API bnb_status bnb_cuda_event_record(void* event, void* stream);
/* Waits for end, then ms = elapsed time between start and end. */
BNB_API bnb_status bnb_cuda_event_elapsed(void* start, void* end, float* ms);

/* ---- 8-bit blockwise quantization ----------------------------------------------------------- */
/* dtype: BNB_F32, BNB_F16 or BNB_BF16 (the type of A / out).
 * blocksize: CPU any value >= 1; CUDA one of 64, 128, 256, 512, 1024, 2048, 4096.
 * Quantize: absmax[b] = max |A| over block b; out[i] = nearest code to A[i] * (1 / absmax[b]),
 * exact midpoint ties to the even index (upstream CUDA's dQuantize). */
BNB_API bnb_status bnb_cpu_quantize_blockwise(int32_t dtype,
                                              const float* code,  /* [256] f32, ascending */
                                              const void* A,      /* [n] dtype */
                                              float* absmax,      /* [ceil(n/blocksize)] f32, out */
                                              uint8_t* out,       /* [n] u8, out */
                                              int64_t blocksize, int64_t n);
/* out[i] = code[A[i]] * absmax[i / blocksize], computed in f32, rounded to nearest even in dtype. */
BNB_API bnb_status bnb_cpu_dequantize_blockwise(int32_t dtype,
                                                const float* code,   /* [256] f32 */
                                                const uint8_t* A,    /* [n] u8 */
                                                const float* absmax, /* [ceil(n/blocksize)] f32 */
                                                void* out,           /* [n] dtype, out */
                                                int64_t blocksize, int64_t n);
BNB_API bnb_status bnb_cuda_quantize_blockwise(int32_t dtype, const float* code, const void* A, float* absmax,
                                               uint8_t* out, int64_t blocksize, int64_t n, void* stream);
BNB_API bnb_status bnb_cuda_dequantize_blockwise(int32_t dtype, const float* code, const uint8_t* A,
                                                 const float* absmax, void* out, int64_t blocksize, int64_t n,
                                                 void* stream);

/* mean[0] = mean(x) (accumulated in double, rounded to f32); out[i] = x[i] - mean[0].
 * Used to centre absmax before nested quantization. out may equal x. */
BNB_API bnb_status bnb_cpu_center_f32(const float* x, /* [n] */ float* out, /* [n] */ float* mean, /* [1] */
                                      int64_t n);
BNB_API bnb_status bnb_cuda_center_f32(const float* x, float* out, float* mean, int64_t n, void* stream);
/* out[i] = x[i] + offset[0]: undoes bnb_*_center_f32 after dequantizing nested absmax. */
BNB_API bnb_status bnb_cpu_add_offset_f32(const float* x, float* out, const float* offset, int64_t n);
BNB_API bnb_status bnb_cuda_add_offset_f32(const float* x, float* out, const float* offset, int64_t n,
                                           void* stream);

/* ---- optimizers ------------------------------------------------------------------------------ */
/* Optimizer kinds. LAMB runs the ADAM rule and LARS the MOMENTUM rule, each with the update-norm cap. */
#define BNB_OPTIM_ADAM 0
#define BNB_OPTIM_MOMENTUM 1
#define BNB_OPTIM_RMSPROP 2
#define BNB_OPTIM_LARS 3
#define BNB_OPTIM_ADAGRAD 4
#define BNB_OPTIM_LION 5
#define BNB_OPTIM_ADEMAMIX 6
#define BNB_OPTIM_LAMB 7

/* Elements per absmax block of 8-bit optimizer state. */
#define BNB_OPTIM_STATE_BLOCK 256
/* Gradient norms kept per tensor for percentile clipping. */
#define BNB_OPTIM_GNORM_HISTORY 100

/* One optimizer step over `count` tensors that share the optimizer kind, the parameter dtype, the state
 * width and the hyper-parameters (one launch on CUDA, however many tensors). Every array below is a host
 * array of `count` entries holding addresses (device addresses for bnb_cuda_, host for bnb_cpu_):
 *   p        [n] param_dtype, updated in place
 *   g        [n] param_dtype, read only (NaN/Inf handling per the spec)
 *   state1   32-bit: [n] f32 (ADEMAMIX: [2n], m1 then m2); 8-bit: [n] u8 (ADEMAMIX [2n])
 *   state2   ADAM/LAMB/ADEMAMIX only: 32-bit [n] f32, 8-bit [n] u8; else 0
 *   absmax1  8-bit only: [ceil(n/256)] f32 (ADEMAMIX [2*ceil(n/256)]); else 0
 *   absmax2  8-bit 2-state only: [ceil(n/256)] f32; else 0
 *   scratch  [2] f32 per tensor when max_unorm > 0 (update-norm and param-norm sums), else 0
 *   gnorm    [100] f32 per tensor when percentile < 100 (history of |g|), else 0
 * numel[i] is n of tensor i (>= 0); step[i] its step count after this update (>= 1).
 * qmap1 / qmap2: [256] f32 code books (signed / unsigned dynamic maps) for 8-bit state, else NULL.
 * state_bits: 32 or 8. param_dtype: BNB_F32, BNB_F16 or BNB_BF16.
 * percentile: 1..100; 100 disables clipping. max_unorm: 0 disables the update-norm cap.
 * skip_zeros: nonzero skips elements whose gradient is exactly 0. */
BNB_API bnb_status bnb_cpu_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits, int32_t count,
                                          const int64_t* p, const int64_t* g, const int64_t* state1,
                                          const int64_t* state2, const int64_t* absmax1, const int64_t* absmax2,
                                          const int64_t* scratch, const int64_t* gnorm, const int64_t* numel,
                                          const int32_t* step, const float* qmap1, const float* qmap2, float lr,
                                          float beta1, float beta2, float beta3, float alpha, float eps,
                                          float weight_decay, float max_unorm, int32_t percentile,
                                          int32_t skip_zeros);
BNB_API bnb_status bnb_cuda_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits, int32_t count,
                                           const int64_t* p, const int64_t* g, const int64_t* state1,
                                           const int64_t* state2, const int64_t* absmax1, const int64_t* absmax2,
                                           const int64_t* scratch, const int64_t* gnorm, const int64_t* numel,
                                           const int32_t* step, const float* qmap1, const float* qmap2, float lr,
                                           float beta1, float beta2, float beta3, float alpha, float eps,
                                           float weight_decay, float max_unorm, int32_t percentile,
                                           int32_t skip_zeros, void* stream);

#ifdef __cplusplus
}
#endif

#include "bnb/fourbit.h"

#endif /* BNB_BNB_H */
