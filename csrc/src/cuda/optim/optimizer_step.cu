// bnb_cuda_optimizer_step: the optimizer update kernels on the GPU, bit for bit what
// cpu/optim/optimizer_step.cpp computes (the element arithmetic lives in common/optim_math.h; this file
// is compiled with --fmad=false, see csrc/CMakeLists.txt, so no a*b+c becomes an FMA).
//
// Shape. All tensors of a call are cut into 256-element state blocks, numbered one after the other
// (tensor t owns [start[t], start[t + 1])). One warp handles one state block: lane l holds 8 elements,
// as rows of one 16-byte vector (f32: rows r = 0, 1 of elements r * 128 + 4 l .. +3; f16/bf16: one row
// of elements 8 l .. 8 l + 7), so every load and store of a warp covers one contiguous range, and the
// new absmax of an 8-bit block is a warp shuffle reduction. Resident thread blocks loop over the state
// blocks (the 32-bit kernel strided by warp, the 8-bit kernel and the pre-passes in a contiguous range
// per warp); a warp finds its tensor from the prefix sums by binary search.
//
// 8-bit requantization: once per call, build_state_tables_kernel builds step tables of the two code
// books (common/optim_math.h), which every thread block copies into shared memory: one 4-byte lookup
// per code instead of a seven-level search, which runs only where an entry falls back (NaN, or a
// code book the tables cannot represent).
//
// The tensors' descriptors (addresses, sizes, per-tensor step constants) travel by value as one kernel
// parameter (DevChunk, below 32 KB: CUDA 12.1+ on Volta+), up to kChunk tensors per launch: no
// descriptor copy, no host synchronisation. Per chunk the passes are
//   percentile < 100: sums_kernel<kGradNorm>, then clip_kernel (history, gnorm_scale per tensor);
//   max_unorm > 0:    sums_kernel<kUpdateNorm>, then cap_kernel (scratch, update scale per tensor);
//   always:           update32_kernel or update8_kernel.
// The 8-bit tables, the per-tensor sums (doubles) and scales (floats) share one stream-ordered temporary
// allocation per call.
//
// The parts, in the order this file includes them: device_tensors.cuh (descriptors, layouts, loads and
// stores), update32.cuh, state_tables.cuh and staging.cuh (what update8.cuh builds on), update8.cuh and
// prepasses.cuh; this file launches them.
#include <stdint.h>

#include <algorithm>

#include "common/optim_plan.h"
#include "cuda/cuda_check.h"
#include "cuda/entry_points.h"
#include "cuda/optim/device_tensors.cuh"
#include "cuda/optim/update32.cuh"
#include "cuda/optim/state_tables.cuh"
#include "cuda/optim/staging.cuh"
#include "cuda/optim/update8.cuh"
#include "cuda/optim/prepasses.cuh"

namespace bnb {
namespace optim {
namespace {

// ---- launching -------------------------------------------------------------------------------------------

// Thread blocks for a loop over `warps_wanted` warps of work: as many as are resident at once, no more.
template <typename Kernel>
bnb_status grid_for(Kernel kernel, int64_t warps_wanted, unsigned* grid, size_t smem = 0) {
    int device = 0, sms = 0, per_sm = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, smem));
    const int64_t wanted = (warps_wanted + kWarps - 1) / kWarps;
    *grid = static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(wanted, int64_t{sms} * std::max(per_sm, 1))));
    return BNB_OK;
}

// Whether update8_kernel stages blocks on this device: its code has cp.async (sm_80 on), and the SM's
// shared memory holds 3 blocks with their stages (an H200 does; GPUs with 100 KB per SM would drop to
// one block, and rather load directly).
template <typename Kernel>
bnb_status staging_fits(Kernel kernel, size_t tables, size_t stages, bool* fits) {
    cudaFuncAttributes attributes;
    BNB_CUDA_CHECK(cudaFuncGetAttributes(&attributes, kernel));
    int device = 0, per_sm = 0, reserved = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&reserved, cudaDevAttrReservedSharedMemoryPerBlock, device));
    *fits = attributes.binaryVersion >= 80 &&
            3 * (tables + stages + static_cast<size_t>(reserved)) <= static_cast<size_t>(per_sm);
    return BNB_OK;
}

bool aligned(const void* a, size_t bytes) { return reinterpret_cast<uintptr_t>(a) % bytes == 0; }

// Per-tensor scratch of one call: the sums and the scales, indexed by the tensor's place in the plan.
struct Temp {
    double* gsum = nullptr;
    double* usum = nullptr;
    double* psum = nullptr;
    float* gscale = nullptr;
    float* uscale = nullptr;
    StateTables* tables = nullptr;  // 8-bit state
};

template <int R, int32_t D, int Bits>
bnb_status launch_chunk(const Plan& plan, size_t first, size_t count, const Temp& temp, cudaStream_t stream) {
    DevChunk c;
    memset(&c, 0, sizeof c);
    c.count = static_cast<int32_t>(count);
    c.start[0] = 0;
    DevAux aux;
    memset(&aux, 0, sizeof aux);
    aux.count = static_cast<int32_t>(count);
    constexpr size_t kParam = sizeof(typename CudaElement<D>::type);
    constexpr size_t kCodeAlign = Bits == 8 ? 16 / kParam : 16;  // W codes, or 16-byte float vectors
    for (size_t i = 0; i < count; ++i) {
        const TensorPlan& tp = plan.tensors[first + i];
        DevTensor& d = c.t[i];
        d.p = tp.p;
        d.g = tp.g;
        d.state1 = tp.state1;
        d.state2 = tp.state2;
        d.absmax1 = tp.absmax1;
        d.absmax2 = tp.absmax2;
        d.n = tp.n;
        d.k = tp.k;
        aux.scratch[i] = tp.scratch;
        aux.gnorm[i] = tp.gnorm;
        aux.step[i] = tp.k.step;
        const size_t state_size = Bits == 8 ? 1 : 4;
        const char* slow = static_cast<const char*>(tp.state1) + tp.n * state_size;
        d.vector_ok = aligned(tp.p, 16) && aligned(tp.g, 16) && aligned(tp.state1, kCodeAlign) &&
                      (!two_state(R) || aligned(tp.state2, kCodeAlign)) &&
                      (R != kAdemamix || aligned(slow, kCodeAlign));
        d.stage_ok = Bits == 8 && aligned(tp.p, 16) && aligned(tp.g, 16) && aligned(tp.state1, 16) &&
                     (!two_state(R) || aligned(tp.state2, 16)) && (R != kAdemamix || aligned(slow, 16));
        c.start[i + 1] = c.start[i] + tp.blocks;
    }
    const int64_t total = c.start[count];
    const Scalars& s = plan.s;
    const float* gscale = plan.clip ? temp.gscale + first : nullptr;
    const float* uscale = plan.cap ? temp.uscale + first : nullptr;
    unsigned grid = 0;
    if (plan.clip) {
        auto kernel = sums_kernel<kGradNorm, R, D, Bits>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, plan.qmap1, plan.qmap2, nullptr, temp.gsum + first, nullptr);
        BNB_CUDA_CHECK_LAUNCH("sums_kernel (gradient norm)");
        clip_kernel<<<static_cast<unsigned>((count + kWarps - 1) / kWarps), kThreads, 0, stream>>>(
            aux, s.percentile, temp.gsum + first, temp.gscale + first);
        BNB_CUDA_CHECK_LAUNCH("clip_kernel");
    }
    if (plan.cap) {
        auto kernel = sums_kernel<kUpdateNorm, R, D, Bits>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, plan.qmap1, plan.qmap2, gscale, temp.usum + first,
                                              temp.psum + first);
        BNB_CUDA_CHECK_LAUNCH("sums_kernel (update norm)");
        cap_kernel<R><<<static_cast<unsigned>((count + 63) / 64), 64, 0, stream>>>(
            aux, s, temp.usum + first, temp.psum + first, temp.uscale + first);
        BNB_CUDA_CHECK_LAUNCH("cap_kernel");
    }
    if (Bits == 32) {
        auto kernel = update32_kernel<R, D>;
        BNB_TRY(grid_for(kernel, total, &grid));
        kernel<<<grid, kThreads, 0, stream>>>(c, s, gscale, uscale);
        BNB_CUDA_CHECK_LAUNCH("update32_kernel");
    } else {
        auto kernel = update8_kernel<R, D>;
        bool stage = false;
        BNB_TRY(staging_fits(kernel, kSmem8<two_state(R)>, kWarps * sizeof(Stage<D>), &stage));
        const size_t smem = kSmem8<two_state(R)> + (stage ? kWarps * sizeof(Stage<D>) : 0);
        BNB_CUDA_CHECK(
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
        BNB_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                            cudaSharedmemCarveoutMaxShared));
        BNB_TRY(grid_for(kernel, total, &grid, smem));
        kernel<<<grid, kThreads, smem, stream>>>(c, s, temp.tables, plan.qmap1, plan.qmap2, gscale, uscale, stage);
        BNB_CUDA_CHECK_LAUNCH("update8_kernel");
    }
    return BNB_OK;
}

template <int R, int32_t D, int Bits>
bnb_status launch_all(const Plan& plan, const Temp& temp, cudaStream_t stream) {
    for (size_t first = 0; first < plan.tensors.size(); first += kChunk)
        BNB_TRY((launch_chunk<R, D, Bits>(plan, first, std::min<size_t>(kChunk, plan.tensors.size() - first), temp,
                                          stream)));
    return BNB_OK;
}

template <int32_t D, int Bits>
bnb_status launch_rule(const Plan& plan, const Temp& temp, cudaStream_t stream) {
    switch (plan.rule) {
        case kAdam: return launch_all<kAdam, D, Bits>(plan, temp, stream);
        case kAdemamix: return launch_all<kAdemamix, D, Bits>(plan, temp, stream);
        case kMomentum: return launch_all<kMomentum, D, Bits>(plan, temp, stream);
        case kRmsprop: return launch_all<kRmsprop, D, Bits>(plan, temp, stream);
        case kAdagrad: return launch_all<kAdagrad, D, Bits>(plan, temp, stream);
        case kLion: return launch_all<kLion, D, Bits>(plan, temp, stream);
        default: return BNB_FAIL(BNB_ERR_INTERNAL, "unknown optimizer rule %d", plan.rule);
    }
}

bnb_status run(const Plan& plan, cudaStream_t stream) {
    const size_t count = plan.tensors.size();
    if (count == 0) return BNB_OK;
    // One stream-ordered temporary allocation: the requantization tables (8-bit state), then the
    // per-tensor sums and scales (pre-passes).
    Temp temp;
    void* block = nullptr;
    const bool eight = plan.state_bits == 8, passes = plan.clip || plan.cap;
    if (eight || passes) {
        const size_t tables = eight ? sizeof(StateTables) : 0;
        const size_t bytes = tables + (passes ? count * (3 * sizeof(double) + 2 * sizeof(float)) : 0);
        BNB_CUDA_CHECK(cudaMallocAsync(&block, bytes, stream));
        char* at = static_cast<char*>(block);
        cudaError_t prepared = cudaSuccess;
        if (eight) {
            temp.tables = reinterpret_cast<StateTables*>(at);
            const int entries = plan.qmap2 ? kTableEntries : kFirstVectors;
            build_state_tables_kernel<<<(entries + kThreads - 1) / kThreads, kThreads, 0, stream>>>(
                plan.qmap1, plan.qmap2, temp.tables);
            prepared = cudaGetLastError();
        }
        if (passes && prepared == cudaSuccess) {
            temp.gsum = reinterpret_cast<double*>(at + tables);
            temp.usum = temp.gsum + count;
            temp.psum = temp.usum + count;
            temp.gscale = reinterpret_cast<float*>(temp.psum + count);
            temp.uscale = temp.gscale + count;
            prepared = cudaMemsetAsync(temp.gsum, 0, 3 * count * sizeof(double), stream);
        }
        if (prepared != cudaSuccess) {
            (void)cudaFreeAsync(block, stream);
            return cuda_fail(prepared, __FILE__, __LINE__, "preparing the temporary tables and sums");
        }
    }
    bnb_status status = dispatch_float_dtype("bnb_cuda_optimizer_step", plan.dtype, [&](auto tag) -> bnb_status {
        constexpr int32_t D = decltype(tag)::value;
        return plan.state_bits == 32 ? launch_rule<D, 32>(plan, temp, stream) : launch_rule<D, 8>(plan, temp, stream);
    });
    if (block) {
        cudaError_t freed = cudaFreeAsync(block, stream);  // also after a failed launch
        BNB_TRY(status);
        if (freed != cudaSuccess) return cuda_fail(freed, __FILE__, __LINE__, "cudaFreeAsync(temp)");
    }
    return status;
}

}  // namespace
}  // namespace optim
}  // namespace bnb

bnb_status bnbk_bnb_cuda_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits,
                                        const bnb_optim_tensors* tensors, const float* qmap1, const float* qmap2,
                                        const bnb_optim_hparams* hparams, void* stream) {
    return BNB_GUARD({
        bnb::optim::Plan plan;
        BNB_TRY(bnb::optim::plan_optimizer_step("bnb_cuda_optimizer_step", optimizer, param_dtype, state_bits,
                                                tensors, qmap1, qmap2, hparams, &plan));
        return bnb::optim::run(plan, static_cast<cudaStream_t>(stream));
    });
}
