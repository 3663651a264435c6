// The 8-bit requantization tables of one call (part of optimizer_step.cu): built once per call by
// build_state_tables_kernel from the code books, then read by update8_kernel through a Requantizer.
#pragma once

#include "cuda/optim/device_tensors.cuh"

namespace bnb {
namespace optim {
// Unnamed, as when optimizer_step.cu held it all: only that translation unit includes this file.
namespace {

// The requantization tables of one call (common/optim_math.h), built by build_state_tables_kernel: the
// step tables, copied into the shared memory of every block of update8_kernel, and the search tables of
// both books for the rare fallback, read from global memory.
template <int N>
constexpr int kVectors = (N + 3) / 4 * 4;  // entries rounded up to 16-byte vectors

struct StateTables {
    uint32_t first[kVectors<SignedStateTable::kEntries>];
    uint32_t second[kVectors<UnsignedStateTable::kEntries>];
    OptimCodeTable search[2];
};

// The shared memory of update8_kernel: the code books for dequantization and the first-moment step
// table; two-state rules append the second-moment table (Smem8::second()).
struct Smem8 {
    float codes[2][256];
    uint32_t first[kVectors<SignedStateTable::kEntries>];
    __device__ uint32_t* second() { return reinterpret_cast<uint32_t*>(this + 1); }
};

template <bool kTwo>
constexpr size_t kSmem8 = sizeof(Smem8) + (kTwo ? sizeof(StateTables::second) : 0);

// A row of W states to codes (W / 4 little-endian words) with the block's 1 / absmax: the step tables,
// and the search on x itself where an entry falls back.
struct Requantizer {
    const uint32_t* first;       // shared memory
    const uint32_t* second;      // shared memory (two-state rules)
    const StateTables* tables;   // global memory
    uint32_t nan_first;          // nan_code_info() of the signed book

    template <int W>
    __device__ __forceinline__ void first_row(const float (&x)[W], float inv, uint32_t (&words)[W / 4]) const {
        row<SignedStateTable>(first, x, inv, words, [&](int j) -> uint32_t {
            return signed_state_fallback(tables->search[0], nan_first, x[j], inv);
        });
    }

    template <int W>
    __device__ __forceinline__ void second_row(const float (&x)[W], float inv, uint32_t (&words)[W / 4]) const {
        row<UnsignedStateTable>(second, x, inv, words, [&](int j) -> uint32_t {
            return unsigned_state_fallback(tables->search[1], x[j], inv);
        });
    }

    // y = x * inv looked up in `entries`, fallback(j) where an entry falls back.
    template <class Table, int W, class Fallback>
    __device__ __forceinline__ static void row(const uint32_t* entries, const float (&x)[W], float inv,
                                               uint32_t (&words)[W / 4], Fallback fallback) {
        float y[W];
        uint32_t c[W];
#pragma unroll
        for (int j = 0; j < W; ++j) y[j] = x[j] * inv;
        step_lookup<Table>(entries, y, c, fallback);
#pragma unroll
        for (int k = 0; k < W / 4; ++k)
            words[k] = c[4 * k] | c[4 * k + 1] << 8 | c[4 * k + 2] << 16 | c[4 * k + 3] << 24;
    }
};

// The tables of one call: a thread per step-table entry, padding included (the first-moment table, then,
// with a second book, the second-moment one; update8_kernel copies whole 16-byte vectors, so the padding
// is written too, as fallback entries); block 0 also writes the search tables.
constexpr int kFirstVectors = kVectors<SignedStateTable::kEntries>;
constexpr int kTableEntries = kFirstVectors + kVectors<UnsignedStateTable::kEntries>;

__global__ void __launch_bounds__(kThreads) build_state_tables_kernel(const float* __restrict__ qmap1,
                                                                     const float* __restrict__ qmap2,
                                                                     StateTables* __restrict__ tables) {
    __shared__ OptimCodeTable books[2];
    const int j = threadIdx.x;
    fill_optim_code_table(books[0], qmap1, j);
    if (qmap2) fill_optim_code_table(books[1], qmap2, j);
    if (blockIdx.x == 0) {
        fill_optim_code_table(tables->search[0], qmap1, j);
        if (qmap2) fill_optim_code_table(tables->search[1], qmap2, j);
    }
    const bool ordered = __syncthreads_and(sign_ordered_at(qmap1, j));
    const uint32_t negatives = static_cast<uint32_t>(__syncthreads_count(negative(qmap1[j])));
    const int i = blockIdx.x * kThreads + j;
    if (i < kFirstVectors) {
        const TablePivots r = table_pivots(books[0]);
        const bool regular = signed_table_regular(books[0], r, ordered, negatives);
        tables->first[i] = i < SignedStateTable::kEntries ? signed_state_entry(books[0], r, regular, i) : kStepFallback;
    } else if (qmap2 && i < kTableEntries) {
        const int k = i - kFirstVectors;
        tables->second[k] =
            k < UnsignedStateTable::kEntries ? unsigned_state_entry(books[1], table_pivots(books[1]), k)
                                             : kStepFallback;
    }
}

}  // namespace
}  // namespace optim
}  // namespace bnb
