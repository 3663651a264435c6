// A few helpers shared by the native test programs: checks, random data and codebooks.
#pragma once

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "bnb/bnb.h"

namespace test {

inline int& failures() {
    static int count = 0;
    return count;
}

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            ++::test::failures();                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, "\n");                                           \
        }                                                                    \
    } while (0)

// Stops the current test function after the first few failures of a loop.
#define CHECK_OR_RETURN(cond, ...) \
    do {                           \
        if (!(cond)) {             \
            CHECK(cond, __VA_ARGS__); \
            return;                \
        }                          \
    } while (0)

#define CHECK_OK(call)                                                                              \
    do {                                                                                            \
        bnb_status status_ = (call);                                                                \
        CHECK(status_ == BNB_OK, "%s returned %d: %s", #call, static_cast<int>(status_), bnb_last_error()); \
    } while (0)

// "file.ext:123: detail", as every failure of the library must be reported.
inline bool has_file_line(const char* message) {
    const char* colon = strchr(message, ':');
    if (colon == nullptr || colon == message || colon[1] < '0' || colon[1] > '9') return false;
    const char* p = colon + 1;
    while (*p >= '0' && *p <= '9') ++p;
    return p[0] == ':' && p[1] == ' ' && p[2] != '\0';
}

#define CHECK_FAILS(call, expected)                                                                    \
    do {                                                                                               \
        bnb_status status_ = (call);                                                                   \
        CHECK(status_ == (expected), "%s returned %d, expected %d", #call, static_cast<int>(status_),   \
              static_cast<int>(expected));                                                             \
        CHECK(::test::has_file_line(bnb_last_error()), "%s left bnb_last_error() = \"%s\"", #call,     \
              bnb_last_error());                                                                       \
    } while (0)

inline uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// Equal bits, or both NaN (the payload of a NaN made by 0 * inf differs between CPU and GPU).
inline bool same_float(float a, float b) { return bits_of(a) == bits_of(b) || (isnan(a) && isnan(b)); }

inline bool same_half_bits(uint16_t a, uint16_t b, bool bf16) {
    auto is_nan = [bf16](uint16_t v) {
        return bf16 ? (v & 0x7fff) > 0x7f80 : (v & 0x7fff) > 0x7c00;
    };
    return a == b || (is_nan(a) && is_nan(b));
}

// The signed dynamic map of bitsandbytes (spec 3.1), computed in double: ascending, with 0 and 1.
inline std::vector<float> dynamic_map() {
    std::vector<float> code;
    for (int i = 0; i < 7; ++i) {
        int k = (1 << i) + 1;
        double scale = pow(10.0, i - 6);
        for (int j = 0; j + 1 < k; ++j) {
            double lo = 0.1 + 0.9 * j / (k - 1), hi = 0.1 + 0.9 * (j + 1) / (k - 1);
            float mean = static_cast<float>(scale * (lo + hi) / 2);
            code.push_back(mean);
            code.push_back(-mean);
        }
    }
    code.push_back(0.0f);
    code.push_back(1.0f);
    std::sort(code.begin(), code.end());
    return code;
}

// 256 evenly spaced values from -1 to 1.
inline std::vector<float> linear_map() {
    std::vector<float> code(256);
    for (int i = 0; i < 256; ++i) code[i] = static_cast<float>(-1.0 + 2.0 * i / 255.0);
    return code;
}

struct Random {
    std::mt19937_64 engine;
    explicit Random(uint64_t seed) : engine(seed) {}
    float normal() { return std::normal_distribution<float>(0.0f, 1.0f)(engine); }
    float uniform(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(engine); }
    uint32_t bits() { return static_cast<uint32_t>(engine()); }
    int64_t below(int64_t n) { return static_cast<int64_t>(engine() % static_cast<uint64_t>(n)); }
};

// The start of every CUDA test program: argv[1] is the CUDA plugin. Returns -1 when the tests should run, else
// the exit status to return at once (2: usage, 0: no GPU, so nothing to test; 1: the plugin does not load).
inline int start_cuda_program(const char* name, int argc, char** argv, const char* extra_usage = "") {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN%s\n", argv[0], extra_usage);
        return 2;
    }
    int32_t driver = 0, devices = 0;
    bnb_cuda_probe_driver(&driver, &devices);
    if (devices == 0) {
        printf("%s: skipped, no GPU (%s)\n", name, bnb_last_error());
        return 0;
    }
    if (bnb_cuda_backend_load(argv[1]) != BNB_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], bnb_last_error());
        return 1;
    }
    return -1;
}

// The end of every test program: reports the checks and returns the exit status.
inline int finish_program(const char* name) {
    if (failures() != 0) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures());
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

}  // namespace test
