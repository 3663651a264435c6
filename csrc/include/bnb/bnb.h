/*
 * bnb4j C API: the one header a C caller includes. JavaCPP parses the family headers it lists, in the
 * same order (bnb-native's BnbPresets), into io.github.bnb4j.nativelib.internal.BnbC.
 *
 * Conventions
 *  - Every function returns a bnb_status (0 = BNB_OK). None exits, aborts or lets a C++ exception
 *    escape. After a failure, bnb_last_error() holds "file:line: detail" for the calling thread.
 *  - Element counts and sizes are int64_t. Every pointer parameter carries its shape and dtype in a
 *    comment ("[ceil(n/blocksize)] f32"); "out" marks what the function writes.
 *  - A function that receives a buffer whose length it cannot infer takes the length too and checks it
 *    (BNB_ERR_INVALID_ARGUMENT naming the argument): a wrong size never reads or writes out of bounds.
 *  - bnb_cpu_* functions take host pointers. bnb_cuda_* functions take device pointers and an explicit
 *    stream (a cudaStream_t passed as void*; NULL is the legacy default stream) and are served by the
 *    CUDA backend library loaded with bnb_cuda_backend_load(); without one they return
 *    BNB_ERR_NO_BACKEND.
 *  - Runtime choices (dtype, blocksize, optimizer) go through exhaustive switches: an unsupported value
 *    returns BNB_ERR_UNSUPPORTED, never a silent no-op.
 *  - More than a handful of related parameters travel as a struct passed by pointer
 *    (bnb_optim_hparams): JavaCPP maps C structs, and a new field does not change every signature.
 *
 * Families: one header each, included below in dependency order.
 *   bnb/types.h    export macro, status codes, element types (every family header includes it)
 *   bnb/runtime.h  library version and errors, CUDA driver probe, CUDA plugin, memory, streams, events
 *   bnb/quant.h    8-bit blockwise quantization, centring of nested absmax
 *   bnb/optim.h    optimizer steps
 *   bnb/gemm.h     dense GEMM on the host (CUDA goes through cuBLASLt from Java)
 *   bnb/fourbit.h  NF4/FP4 quantization and the 4-bit GEMV
 *   bnb/quantiles.h  quantile estimation
 *   bnb/int8.h     LLM.int8(): row-wise int8 quantization, outliers, int32 product dequantization
 *   bnb/nn_ops.h   the ops of the nn layers: activations, elementwise, LayerNorm, embedding, dropout, loss
 *   bnb/transformer.h  RMSNorm, rotary embedding, causal grouped-query attention, softmax, argmax
 * A new family (4-bit, int8, nn) plugs in like bnb/quant.h:
 *   1. csrc/include/bnb/<family>.h with its own include guard, #include "bnb/types.h" and extern "C";
 *   2. an #include line at the end of the list below;
 *   3. the same header at the same place in the @Platform include list of
 *      bnb-native/.../nativelib/presets/BnbPresets.java (BnbPresetsTest checks that both lists agree);
 *   4. its bnb_cuda_* functions in the X-macro list of csrc/src/common/cuda_plugin.h;
 *   5. its Java facade in bnb-core's io.github.bnb4j.core.internal package.
 */
#ifndef BNB_BNB_H
#define BNB_BNB_H

#include "bnb/types.h"
#include "bnb/runtime.h"
#include "bnb/quant.h"
#include "bnb/optim.h"
#include "bnb/gemm.h"
#include "bnb/fourbit.h"
#include "bnb/quantiles.h"
#include "bnb/int8.h"
#include "bnb/nn_ops.h"
#include "bnb/transformer.h"


#endif /* BNB_BNB_H */
