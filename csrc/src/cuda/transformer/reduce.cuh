// Block-wide reductions and grid sizes of the transformer kernels.
#pragma once

#include <stdint.h>

#include <algorithm>

namespace bnb {

struct MaxOp {
    __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

struct SumOp {
    __device__ float operator()(float a, float b) const { return a + b; }
};

// op over the block's threads (blockDim.x a multiple of 32, at most 1024), in every thread. scratch holds 32
// floats; the function synchronizes twice, so the caller may reuse scratch right after.
template <typename Op>
__device__ float block_reduce(float v, float* scratch, Op op) {
#pragma unroll
    for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
    const int warps = blockDim.x / 32;
    if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
    __syncthreads();
    float r = scratch[0];
    for (int w = 1; w < warps; ++w) r = op(r, scratch[w]);
    __syncthreads();
    return r;
}

// Blocks for a grid-stride loop over rows: one block per row, up to a limit well inside the grid's x range.
inline unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(rows, int64_t{1} << 20)); }

}  // namespace bnb
