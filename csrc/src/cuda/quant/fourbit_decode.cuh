// Decoders of packed 4-bit weights into tensor-core operands: each packed byte (code 2b in the high nibble,
// 2b + 1 in the low one) becomes one 32-bit pair of 16-bit values of dtype T (bf16 or f16), value[2b] in the
// low half, value[2b + 1] in the high half, as mma.sync's A fragments hold two neighbouring columns. The
// table values are rounded to T once (upstream's gemv rounds them to T as well); the block scale is applied
// later, in f32, to the tensor core's f32 sums.
//
// SmemPairDecoder: a 256-entry table of pairs in shared memory, one copy per lane, interleaved so that lane l
// always reads bank l: one conflict-free 32-bit load and two integer operations per byte. It beat a lookup in
// registers with byte permutes on the H200 (docs/DECISIONS.md, gemv4-perf).
#pragma once

#include <stdint.h>

#include "common/fourbit_codes.h"
#include "cuda/elements.cuh"

namespace bnb {

// The bits of v rounded to the 16-bit dtype D.
template <int32_t D>
__device__ uint32_t sixteen_bit_pattern(float v) {
    if constexpr (D == BNB_BF16)
        return __bfloat16_as_ushort(__float2bfloat16_rn(v));
    else
        return __half_as_ushort(__float2half_rn(v));
}

template <int32_t D>
struct SmemPairDecoder {
    static constexpr int kCopies = 32;  // one per lane: entry e of lane l at e * 32 + l, in bank l
    struct Shared {
        uint32_t pairs[256 * kCopies];
    };
    const char* table;  // shared memory, offset by this lane's copy

    // All threads of the block call it after values (16 floats, shared) is filled; it ends with a barrier.
    __device__ SmemPairDecoder(Shared& shared, const float* values) {
        for (int i = threadIdx.x; i < 256 * kCopies; i += blockDim.x) {
            const int e = i / kCopies;
            shared.pairs[i] = sixteen_bit_pattern<D>(values[e >> 4]) | sixteen_bit_pattern<D>(values[e & 15]) << 16;
        }
        __syncthreads();
        table = reinterpret_cast<const char*>(shared.pairs) + 4 * (threadIdx.x % 32);
    }

    // The pair of byte b of word: byte offset b * 128 into the lane's column.
    __device__ uint32_t pair(uint32_t word, int b) const {
        const uint32_t offset = (b == 0 ? word << 7 : word >> (8 * b - 7)) & 0x7f80u;
        return *reinterpret_cast<const uint32_t*>(table + offset);
    }

    __device__ void decode(uint2 w, uint32_t (&p)[8]) const {
#pragma unroll
        for (int b = 0; b < 4; ++b) {
            p[b] = pair(w.x, b);
            p[4 + b] = pair(w.y, b);
        }
    }
};

}  // namespace bnb
