// Launch shapes shared by the quantization kernels.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <type_traits>

#include "cuda/cuda_check.h"

namespace bnb {

constexpr int kThreads = 256;  // per CUDA block; also one thread per code when filling tables
constexpr int kElementsPerThread = 16;  // per thread and tile of quantize_kernel: one 16-byte vector a row

// Blocks for a grid-stride loop over tiles: as many as fit on the device at once, no more than tiles.
template <typename Kernel>
bnb_status resident_grid(Kernel kernel, int64_t tiles, unsigned* grid) {
    int device = 0, sms = 0, per_sm = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
    *grid = static_cast<unsigned>(std::min<int64_t>(tiles, int64_t{sms} * std::max(per_sm, 1)));
    return BNB_OK;
}

// Calls body(std::integral_constant<int, blocksize>{}) for the blocksizes the CUDA kernels support.
template <typename Body>
bnb_status dispatch_blocksize(const char* function, int64_t blocksize, Body&& body) {
    switch (blocksize) {
        case 64: return body(std::integral_constant<int, 64>{});
        case 128: return body(std::integral_constant<int, 128>{});
        case 256: return body(std::integral_constant<int, 256>{});
        case 512: return body(std::integral_constant<int, 512>{});
        case 1024: return body(std::integral_constant<int, 1024>{});
        case 2048: return body(std::integral_constant<int, 2048>{});
        case 4096: return body(std::integral_constant<int, 4096>{});
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                            "%s: blocksize %lld is not supported on CUDA; allowed: 64, 128, 256, 512, 1024, 2048, 4096",
                            function, static_cast<long long>(blocksize));
    }
}

}  // namespace bnb
