// The row scale of int8 quantization, 127 * (1 / absmax) in two IEEE roundings (common/int8_math.h),
// against upstream's __fdividef(127.0f, absmax), on the GPU for every positive finite f16 absmax: where
// they agree, f16 codes are upstream's bit for bit. Prints the values where they differ. Usage:
//   bnb_int8_scale_tests [anything]   (run-gpu.sh passes the plugin path, which is not needed)
#include <cuda_fp16.h>
#include <stdio.h>

#include "common/int8_math.h"

__global__ void scales_kernel(float* ours, float* upstream) {
    const int h = blockIdx.x * blockDim.x + threadIdx.x;  // 1 .. 0x7bff: positive finite halves
    if (h < 1 || h > 0x7bff) return;
    const float absmax = __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
    ours[h] = bnb::int8_scale(absmax);
    upstream[h] = __fdividef(127.0f, absmax);
}

int main() {
    const int n = 0x7c00;
    float *d_ours = nullptr, *d_upstream = nullptr;
    if (cudaMalloc(&d_ours, n * sizeof(float)) != cudaSuccess ||
        cudaMalloc(&d_upstream, n * sizeof(float)) != cudaSuccess) {
        printf("bnb_int8_scale_tests: skipped, no GPU\n");
        return 0;
    }
    scales_kernel<<<(n + 255) / 256, 256>>>(d_ours, d_upstream);
    static float ours[0x7c00], upstream[0x7c00];
    cudaMemcpy(ours, d_ours, n * sizeof(float), cudaMemcpyDeviceToHost);
    if (cudaMemcpy(upstream, d_upstream, n * sizeof(float), cudaMemcpyDeviceToHost) != cudaSuccess) {
        fprintf(stderr, "bnb_int8_scale_tests: %s\n", cudaGetErrorString(cudaGetLastError()));
        return 1;
    }
    int differ = 0;
    for (int h = 1; h < n; ++h)
        if (ours[h] != upstream[h]) {
            if (++differ <= 20) printf("absmax half 0x%04x: ours %a, __fdividef %a\n", h, ours[h], upstream[h]);
        }
    if (differ != 0) {
        fprintf(stderr, "bnb_int8_scale_tests: %d of %d f16 absmax values scale differently from upstream\n", differ,
                n - 1);
        return 1;
    }
    printf("bnb_int8_scale_tests: the scale equals __fdividef(127, absmax) for all %d positive finite f16 values\n",
           n - 1);
    return 0;
}
