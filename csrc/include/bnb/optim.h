/*
 * bnb4j C API, optimizer family: one optimizer step over many tensors. Conventions: bnb/bnb.h.
 */
#ifndef BNB_OPTIM_H
#define BNB_OPTIM_H

#include "bnb/types.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* The hyper-parameters shared by every tensor of a step. */
typedef struct bnb_optim_hparams {
    float lr;            /* learning rate */
    float beta1;         /* first-moment decay (momentum for MOMENTUM/LARS, alpha for RMSPROP) */
    float beta2;         /* second-moment decay (LION: the state decay) */
    float beta3;         /* ADEMAMIX: slow-EMA decay */
    float alpha;         /* ADEMAMIX: weight of the slow EMA */
    float eps;           /* denominator epsilon */
    float weight_decay;  /* decoupled for ADAM/LAMB/ADEMAMIX/LION, added to the gradient otherwise */
    float max_unorm;     /* update-norm cap relative to the parameter norm; 0 disables it */
    int32_t percentile;  /* 1..100: percentile clipping of the gradient norm; 100 disables it */
    int32_t skip_zeros;  /* nonzero: elements whose gradient is exactly 0 keep their state */
} bnb_optim_hparams;

/* The tensors of a step: `count` tensors, each array a host array of `count` entries. The address arrays
 * hold addresses (device addresses for bnb_cuda_, host for bnb_cpu_) as int64 of:
 *   p        [n] param_dtype, updated in place
 *   g        [n] param_dtype, read only (NaN/Inf handling per the spec)
 *   state1   32-bit: [n] f32 (ADEMAMIX: [2n], m1 then m2); 8-bit: [n] u8 (ADEMAMIX [2n])
 *   state2   ADAM/LAMB/ADEMAMIX only: 32-bit [n] f32, 8-bit [n] u8; else 0
 *   absmax1  8-bit only: [ceil(n/256)] f32 (ADEMAMIX [2*ceil(n/256)]); else 0
 *   absmax2  8-bit 2-state only: [ceil(n/256)] f32; else 0
 *   scratch  [2] f32 when max_unorm > 0 (update-norm and param-norm sums), else 0
 *   gnorm    [100] f32 when percentile < 100 (history of |g|^2), else 0
 * An array that no tensor of the call needs may be NULL. */
typedef struct bnb_optim_tensors {
    int32_t count;          /* >= 0 */
    const int64_t* p;       /* [count] addresses */
    const int64_t* g;       /* [count] addresses */
    const int64_t* state1;  /* [count] addresses */
    const int64_t* state2;  /* [count] addresses, or NULL */
    const int64_t* absmax1; /* [count] addresses, or NULL */
    const int64_t* absmax2; /* [count] addresses, or NULL */
    const int64_t* scratch; /* [count] addresses, or NULL */
    const int64_t* gnorm;   /* [count] addresses, or NULL */
    const int64_t* numel;   /* [count] n of each tensor, >= 0 */
    const int32_t* step;    /* [count] step count of each tensor after this update, >= 1 */
} bnb_optim_tensors;

/* One optimizer step over the tensors, which share the optimizer kind (BNB_OPTIM_*), the parameter dtype
 * (BNB_F32, BNB_F16 or BNB_BF16), the state width (state_bits: 32 or 8) and the hyper-parameters: one
 * launch on CUDA, however many tensors. qmap1 / qmap2: [256] f32 code books (signed / unsigned dynamic
 * maps) for 8-bit state (qmap2 only for two-state rules), else NULL; device memory for bnb_cuda_.
 * Every argument is checked before anything is written: a rejected call changes nothing. */
BNB_API bnb_status bnb_cpu_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits,
                                          const bnb_optim_tensors* tensors, /* [1] */
                                          const float* qmap1,               /* [256] f32, or NULL */
                                          const float* qmap2,               /* [256] f32, or NULL */
                                          const bnb_optim_hparams* hparams  /* [1] */);
BNB_API bnb_status bnb_cuda_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits,
                                           const bnb_optim_tensors* tensors, /* [1] host memory */
                                           const float* qmap1,               /* [256] f32 device, or NULL */
                                           const float* qmap2,               /* [256] f32 device, or NULL */
                                           const bnb_optim_hparams* hparams, /* [1] host memory */
                                           void* stream);

#ifdef __cplusplus
}
#endif

#endif /* BNB_OPTIM_H */
