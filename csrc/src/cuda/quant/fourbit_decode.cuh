// Decoders of packed 4-bit weights into tensor-core operands: each packed byte (code 2b in the high nibble,
// 2b + 1 in the low one) becomes one 32-bit pair of 16-bit values of dtype T (bf16 or f16), value[2b] in the
// low half, value[2b + 1] in the high half, as mma.sync's A fragments hold two neighbouring columns. The
// table values are rounded to T once (upstream's gemv rounds them to T as well); the block scale is applied
// later, in f32, to the tensor core's f32 sums.
//
// Two ways to look a byte up, measured against each other by the bench (fourbit_gemv_variant.h):
// - SmemPairDecoder: a 256-entry table of pairs in shared memory, one copy per lane, interleaved so that
//   lane l always reads bank l: one conflict-free 32-bit load and two integer operations per byte.
// - RegisterPairDecoder: the 16 values' low and high bytes in 8 registers, looked up with byte permutes
//   (prmt): no shared memory traffic, about 5 integer operations per byte.
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

template <int32_t D>
struct RegisterPairDecoder {
    struct Shared {};
    // Byte j of lo[i] (hi[i]): the low (high) byte of value 4i + j.
    uint32_t lo[4], hi[4];

    __device__ RegisterPairDecoder(Shared&, const float* values) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            lo[i] = hi[i] = 0;
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const uint32_t bits = sixteen_bit_pattern<D>(values[4 * i + j]);
                lo[i] |= (bits & 0xffu) << (8 * j);
                hi[i] |= (bits >> 8) << (8 * j);
            }
        }
    }

    // Bytes j = 0..3 of the result: table byte of the code in nibble j of selector's low 16 bits. index3
    // holds the nibbles' low 3 bits (prmt's byte index among 8, its sign mode off); pick their bit 3 moved
    // to bit 2 plus j, which chooses between the two 8-entry halves with a third prmt.
    __device__ static uint32_t lookup(const uint32_t (&t)[4], uint32_t index3, uint32_t pick) {
        return __byte_perm(__byte_perm(t[0], t[1], index3), __byte_perm(t[2], t[3], index3), pick);
    }

    __device__ void decode_word(uint32_t word, uint32_t* p) const {
        const uint32_t index3 = word & 0x77777777u;
        const uint32_t half = word >> 1 & 0x44444444u;  // bit 3 of each nibble, as 4
#pragma unroll
        for (int h = 0; h < 2; ++h) {  // nibbles 4h .. 4h + 3: bytes 2h, 2h + 1 of word
            const uint32_t idx = index3 >> (16 * h), pick = (half >> (16 * h) & 0x4444u) | 0x3210u;
            const uint32_t l = lookup(lo, idx, pick), u = lookup(hi, idx, pick);
            // Byte 2h: codes in nibbles 1 (value in the low half) and 0; byte 2h + 1: nibbles 3 and 2.
            p[2 * h] = __byte_perm(l, u, 0x4051);
            p[2 * h + 1] = __byte_perm(l, u, 0x6273);
        }
    }

    __device__ void decode(uint2 w, uint32_t (&p)[8]) const {
        decode_word(w.x, p);
        decode_word(w.y, p + 4);
    }
};

}  // namespace bnb
