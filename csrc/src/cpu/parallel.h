// A minimal parallel loop on std::thread (the library must not depend on an OpenMP runtime).
#pragma once

#include <stdint.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace bnb {

// Runs body(begin, end) over contiguous slices of [0, count), on up to hardware_concurrency threads
// but with at least min_per_thread items each, so that small inputs stay on the calling thread.
// The first exception thrown by a slice is rethrown here after every thread has finished.
template <typename Body>
void parallel_for(int64_t count, int64_t min_per_thread, const Body& body) {
    int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
    int64_t workers = std::min(hardware, count / std::max<int64_t>(1, min_per_thread));
    if (workers <= 1) {
        if (count > 0) body(int64_t{0}, count);
        return;
    }
    std::exception_ptr error;
    std::mutex error_mutex;
    auto run = [&](int64_t w) {
        try {
            body(count * w / workers, count * (w + 1) / workers);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(workers - 1));
    int64_t started = 1;
    try {
        for (; started < workers; ++started) threads.emplace_back(run, started);
    } catch (const std::system_error&) {
        // No more threads to be had: the slices not started run here instead.
    }
    for (int64_t w = started; w < workers; ++w) run(w);
    run(0);
    for (std::thread& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace bnb
