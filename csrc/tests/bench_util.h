// Shared by the CUDA benchmark programs: abort on a failed call, and time device work with events.
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <vector>

#include "bnb/bnb.h"

#define REQUIRE_OK(call)                                                                              \
    do {                                                                                              \
        if ((call) != BNB_OK) {                                                                       \
            fprintf(stderr, "%s failed: %s\n", #call, bnb_last_error());                              \
            exit(1);                                                                                  \
        }                                                                                             \
    } while (0)

// Median time in ms of reps runs of op after a few warm-up runs.
template <typename Op>
float median_ms(Op op, int reps = 15) {
    void* start = nullptr;
    void* end = nullptr;
    REQUIRE_OK(bnb_cuda_event_create(&start));
    REQUIRE_OK(bnb_cuda_event_create(&end));
    for (int i = 0; i < 3; ++i) op();
    std::vector<float> times;
    for (int i = 0; i < reps; ++i) {
        REQUIRE_OK(bnb_cuda_event_record(start, nullptr));
        op();
        REQUIRE_OK(bnb_cuda_event_record(end, nullptr));
        float ms = 0.0f;
        REQUIRE_OK(bnb_cuda_event_elapsed(start, end, &ms));
        times.push_back(ms);
    }
    REQUIRE_OK(bnb_cuda_event_destroy(start));
    REQUIRE_OK(bnb_cuda_event_destroy(end));
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

