// The bit pattern of a float and back, on the host and on the device.
#pragma once

#include <stdint.h>
#include <string.h>

#include "common/host_device.h"

namespace bnb {

BNB_HD inline uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
    return __float_as_uint(x);
#else
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
#endif
}

BNB_HD inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
#endif
}

}  // namespace bnb
