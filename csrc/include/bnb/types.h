/*
 * bnb4j C API, shared definitions: the export macro, status codes, element types. Every family header
 * includes this one; see bnb/bnb.h for the conventions and the list of families.
 */
#ifndef BNB_TYPES_H
#define BNB_TYPES_H

#include <stdint.h>

#if defined(_WIN32)
#define BNB_API __declspec(dllexport)
#else
#define BNB_API __attribute__((visibility("default")))
#endif

/* Status codes. Keep in sync with io.github.bnb4j.nativelib.Status. */
#define BNB_OK 0
#define BNB_ERR_INVALID_ARGUMENT 1
#define BNB_ERR_UNSUPPORTED 2
#define BNB_ERR_CUDA 3
#define BNB_ERR_OUT_OF_MEMORY 4
#define BNB_ERR_NO_BACKEND 5
#define BNB_ERR_INTERNAL 6

/* Element types. Keep in sync with io.github.bnb4j.core.DType. */
#define BNB_F32 0
#define BNB_F16 1
#define BNB_BF16 2
#define BNB_U8 3
#define BNB_I8 4
#define BNB_I32 5
#define BNB_I64 6

typedef int32_t bnb_status;

#endif /* BNB_TYPES_H */
