// The remembered launch limits of launch.cuh.
#include <mutex>
#include <vector>

#include "cuda/int8/launch.cuh"

namespace bnb {
namespace {

struct Slots {
    const void* kernel;
    int threads;
    int device;
    int sms;
    int per_sm;
};

}  // namespace

bnb_status int8_device_slots(const void* kernel, int threads, int* sms, int* per_sm) {
    // A few dozen (kernel, threads) pairs per device at most: a short list searched under a lock.
    static std::mutex mutex;
    static std::vector<Slots> known;
    int device = 0;
    BNB_CUDA_CHECK(cudaGetDevice(&device));
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (const Slots& s : known)
            if (s.kernel == kernel && s.threads == threads && s.device == device) {
                *sms = s.sms;
                *per_sm = s.per_sm;
                return BNB_OK;
            }
    }
    Slots s{kernel, threads, device, 0, 0};
    BNB_CUDA_CHECK(cudaDeviceGetAttribute(&s.sms, cudaDevAttrMultiProcessorCount, device));
    BNB_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&s.per_sm, kernel, threads, 0));
    {
        std::lock_guard<std::mutex> lock(mutex);
        known.push_back(s);  // a racing thread may add the same entry: harmless, both are equal
    }
    *sms = s.sms;
    *per_sm = s.per_sm;
    return BNB_OK;
}

}  // namespace bnb
