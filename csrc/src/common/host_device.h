// BNB_HD marks functions shared by the CPU library and the CUDA kernels; BNB_UNROLL asks nvcc to
// unroll a loop (host compilers decide for themselves).
#pragma once

#if defined(__CUDACC__)
#define BNB_HD __host__ __device__
#define BNB_UNROLL _Pragma("unroll")
#else
#define BNB_HD
#define BNB_UNROLL
#endif
