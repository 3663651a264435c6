// Exhaustive check of src/cuda/rounded_roots.cuh on the GPU against the compiler's own sqrtf and '/':
// for every one of the 2^32 floats, the unguarded fast sequences give the same bits wherever their range
// checks admit the value, and inverse_root_sums gives 1 / (sqrtf(x) + a) with batches that take the fast
// and the guarded branches. Usage: bnb_rounded_roots_tests [ignored: the plugin path other tests take].
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>

#include "cuda/rounded_roots.cuh"

namespace {

enum Check { kSqrt, kRcp, kBatchAlone, kBatchMixed, kAdmittedOutside, kChecks };

__device__ bool same_bits(float a, float b) { return __float_as_uint(a) == __float_as_uint(b) || (a != a && b != b); }

__device__ float reference(float x, float a) { return 1.0f / (sqrtf(x) + a); }

__global__ void check_all(unsigned long long* mismatches, unsigned long long* admitted) {
    const uint64_t stride = uint64_t{gridDim.x} * blockDim.x;
    unsigned long long local[kChecks] = {}, in_range[2] = {};
    for (uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < (uint64_t{1} << 32); i += stride) {
        const float x = __uint_as_float(static_cast<uint32_t>(i));
        if (bnb::sqrt_fast_path(x)) {
            ++in_range[0];
            local[kSqrt] += !same_bits(bnb::sqrt_in_range(x), sqrtf(x));
            // the admitted range is the compiler's: positive, finite, at least 2^-101
            local[kAdmittedOutside] += !(x >= 0x1p-101f && x <= 3.40282347e38f);
        }
        if (bnb::rcp_fast_path(x)) {
            ++in_range[1];
            local[kRcp] += !same_bits(bnb::rcp_in_range(x), 1.0f / x);
            local[kAdmittedOutside] += !(x >= 0x1p-126f && x < 0x1p126f);
        }
        // Alone: every value of the batch is x (fast when x is in range). Mixed: x beside 0, which always
        // takes the guarded branch, and beside 1e-12, which takes the fast one when x is in range.
        const float a = 1e-8f;
        const float alone[2] = {x, x};
        const float mixed[4] = {x, 0.0f, 1e-12f, x};
        float inv_alone[2], inv_mixed[4];
        bnb::inverse_root_sums(alone, a, inv_alone);
        bnb::inverse_root_sums(mixed, a, inv_mixed);
        local[kBatchAlone] += !same_bits(inv_alone[0], reference(x, a)) + !same_bits(inv_alone[1], reference(x, a));
        for (int k = 0; k < 4; ++k) local[kBatchMixed] += !same_bits(inv_mixed[k], reference(mixed[k], a));
    }
    for (int c = 0; c < kChecks; ++c)
        if (local[c]) atomicAdd(mismatches + c, local[c]);
    atomicAdd(admitted, in_range[0]);
    atomicAdd(admitted + 1, in_range[1]);
}

}  // namespace

int main() {
    unsigned long long* counts = nullptr;
    if (cudaMalloc(&counts, (kChecks + 2) * sizeof(unsigned long long)) != cudaSuccess ||
        cudaMemset(counts, 0, (kChecks + 2) * sizeof(unsigned long long)) != cudaSuccess) {
        fprintf(stderr, "bnb_rounded_roots_tests: no CUDA device\n");
        return 1;
    }
    check_all<<<4096, 256>>>(counts, counts + kChecks);
    unsigned long long host[kChecks + 2];
    const cudaError_t status = cudaMemcpy(host, counts, sizeof host, cudaMemcpyDeviceToHost);
    cudaFree(counts);
    if (status != cudaSuccess) {
        fprintf(stderr, "bnb_rounded_roots_tests: %s\n", cudaGetErrorString(status));
        return 1;
    }
    const char* names[kChecks] = {"sqrt_in_range vs sqrtf", "rcp_in_range vs 1/x", "inverse_root_sums, batch of x",
                                  "inverse_root_sums, mixed batch", "fast path admitted outside its range"};
    int failed = 0;
    for (int c = 0; c < kChecks; ++c) {
        printf("%-40s %llu mismatches\n", names[c], host[c]);
        failed += host[c] != 0;
    }
    // The ranges hold 2^31 - 2^30 * ... floats: check they are not empty (a wrong test would pass vacuously).
    printf("floats on the fast paths: sqrt %llu, rcp %llu\n", host[kChecks], host[kChecks + 1]);
    failed += host[kChecks] < (1ull << 30) || host[kChecks + 1] < (1ull << 30);
    printf(failed ? "bnb_rounded_roots_tests: FAILED\n" : "bnb_rounded_roots_tests: all checks passed\n");
    return failed ? 1 : 0;
}
