// Device helpers shared by the 4-bit kernels: the code book in shared memory and the block scales, plain
// or nested (undone inside the kernel that reads them, never by a separate pass).
#pragma once

#include <stdint.h>

#include "common/fourbit_codes.h"
#include "cuda/quant/launch.cuh"

namespace bnb {

// The pointers of a scale source as a kernel argument: absmax for plain scales; codes, code, absmax2 and
// offset for nested ones.
struct ScaleArgs {
    const float* absmax;
    const uint8_t* codes;
    const float* code;
    const float* absmax2;
    const float* offset;
};

inline ScaleArgs plain_scale_args(const float* absmax) { return ScaleArgs{absmax, nullptr, nullptr, nullptr, nullptr}; }
inline ScaleArgs nested_scale_args(const bnb_4bit_nested_absmax& a) {
    return ScaleArgs{nullptr, a.codes, a.code, a.absmax2, a.offset};
}

// What a block of a 4-bit kernel keeps in shared memory: the 16 values of the quant type, its thresholds,
// and for nested scales the 256-entry code book. Sixteen values in 16 banks: lanes that read the same
// code get a broadcast, different codes different banks, so a lookup never conflicts.
struct FourBitShared {
    float values[kFourBitCodes];
    float thresholds[kNf4Thresholds];
    float nested_code[256];
};

// Fills shared (all threads of the block call it; it ends with a barrier).
template <bool Nested>
__device__ void load_four_bit_shared(FourBitShared& shared, int32_t quant_type, const ScaleArgs& scales) {
    const int t = threadIdx.x;
    if (t < kFourBitCodes) shared.values[t] = four_bit_value(quant_type, t);
    const int thresholds = quant_type == BNB_QUANT_NF4 ? kNf4Thresholds : kFp4Thresholds;
    if (t < thresholds) shared.thresholds[t] = four_bit_threshold(quant_type, t);
    if constexpr (Nested)
        for (int i = t; i < 256; i += blockDim.x) shared.nested_code[i] = __ldg(scales.code + i);
    __syncthreads();
}

// The scale of block b: absmax[b], or code[codes[b]] * absmax2[b / 256] + offset.
template <bool Nested>
struct DeviceScales {
    const ScaleArgs args;
    const float* nested_code;  // shared memory
    const float offset;
    __device__ DeviceScales(const ScaleArgs& a, const FourBitShared& shared)
        : args(a), nested_code(shared.nested_code), offset(Nested ? __ldg(a.offset) : 0.0f) {}
    __device__ float operator()(int64_t b) const {
        if constexpr (Nested)
            return nested_absmax(nested_code[__ldg(args.codes + b)], __ldg(args.absmax2 + (b >> 8)), offset);
        else
            return __ldg(args.absmax + b);
    }
};
static_assert(BNB_NESTED_BLOCKSIZE == 256, "DeviceScales shifts by 8");

// A grid for a loop over tiles that gives every block the same number of them: as many rounds as the
// resident blocks need, then as few blocks as cover the tiles in that many rounds. A bandwidth-bound
// kernel then ends on every SM at once, instead of a last partial round on some (7 rounds against 6.2
// cost 11%).
template <typename Kernel>
bnb_status balanced_grid(Kernel kernel, int64_t tiles, unsigned* grid) {
    unsigned resident = 0;
    BNB_TRY(resident_grid(kernel, tiles, &resident));
    const int64_t rounds = (tiles + resident - 1) / resident;
    *grid = static_cast<unsigned>((tiles + rounds - 1) / rounds);
    return BNB_OK;
}

}  // namespace bnb
