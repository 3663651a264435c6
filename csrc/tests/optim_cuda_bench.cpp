// Throughput of bnb_cuda_optimizer_step. Usage: bnb_optim_cuda_bench PATH_TO_libbnb_cudaXY.so [log2_n]
//   - one tensor of 2^log2_n elements (default 30) per rule / dtype / state width: parameters per
//     second and effective bandwidth (bytes of p, g and state read plus bytes written);
//   - the GPT-2-medium parameter set (292 tensors, 354.8 M parameters) in one call.
#include <algorithm>

#include "bench_util.h"
#include "optim_harness.h"

namespace {

using namespace optest;


// Fills dst (bytes) by tiling a block of random normal floats of `pattern` bytes.
void fill_random(void* dst, int64_t bytes, const std::vector<float>& pattern) {
    const int64_t chunk = static_cast<int64_t>(pattern.size() * 4);
    REQUIRE_OK(bnb_cuda_memcpy(dst, pattern.data(), std::min(chunk, bytes), BNB_COPY_HOST_TO_DEVICE, nullptr));
    for (int64_t done = chunk; done < bytes; done *= 2)
        REQUIRE_OK(bnb_cuda_memcpy(static_cast<char*>(dst) + done, dst, std::min(done, bytes - done),
                                   BNB_COPY_DEVICE_TO_DEVICE, nullptr));
}

struct Tensors {
    std::vector<int64_t> p, g, s1, s2, a1, a2, scratch, gnorm, numel;
    std::vector<int32_t> step;
    void* arena = nullptr;
    int64_t params = 0;
    int64_t bytes_per_step = 0;
};

// Device tensors of the given sizes, in one arena (each buffer at a 512-byte boundary, as PyTorch's).
Tensors make_tensors(const Config& c, const std::vector<int64_t>& sizes, const std::vector<float>& pattern) {
    Tensors t;
    const int64_t ds = dtype_size(c.dtype);
    const int64_t f = state1_factor(c.opt);
    const bool two = two_state(c.opt);
    const int64_t ss = c.bits == 8 ? 1 : 4;
    auto round = [](int64_t b) { return (b + 511) / 512 * 512; };
    int64_t total = 0;
    for (int64_t n : sizes)
        total += 2 * round(n * ds) + round(n * f * ss) + round(n * ss) + 2 * round(blocks_of(n) * f * 4) + 2 * 512;
    REQUIRE_OK(bnb_cuda_malloc(0, total, &t.arena));
    REQUIRE_OK(bnb_cuda_memset(t.arena, 0, total, nullptr));
    char* at = static_cast<char*>(t.arena);
    auto take = [&](int64_t b) {
        char* here = at;
        at += round(b);
        return static_cast<int64_t>(reinterpret_cast<intptr_t>(here));
    };
    for (int64_t n : sizes) {
        t.p.push_back(take(n * ds));
        t.g.push_back(take(n * ds));
        t.s1.push_back(take(n * f * ss));
        t.s2.push_back(two ? take(n * ss) : 0);
        t.a1.push_back(c.bits == 8 ? take(blocks_of(n) * f * 4) : 0);
        t.a2.push_back(c.bits == 8 && two ? take(blocks_of(n) * 4) : 0);
        t.scratch.push_back(take(8));
        t.gnorm.push_back(take(400));
        t.numel.push_back(n);
        t.step.push_back(1);
        t.params += n;
        fill_random(reinterpret_cast<void*>(static_cast<intptr_t>(t.p.back())), n * ds, pattern);
        fill_random(reinterpret_cast<void*>(static_cast<intptr_t>(t.g.back())), n * ds, pattern);
    }
    // p read + written, g read, every state read + written.
    t.bytes_per_step = t.params * (3 * ds + 2 * ss * (f + (two ? 1 : 0)));
    return t;
}

bnb_status step(const Config& c, Tensors& t, const float* q1, const float* q2) {
    for (int32_t& s : t.step) ++s;
    const bnb_optim_tensors tensors{static_cast<int32_t>(t.numel.size()), t.p.data(), t.g.data(), t.s1.data(),
                                    t.s2.data(), t.a1.data(), t.a2.data(), t.scratch.data(), t.gnorm.data(),
                                    t.numel.data(), t.step.data()};
    const bnb_optim_hparams h = hparams_of(c);
    return bnb_cuda_optimizer_step(c.opt, c.dtype, c.bits, &tensors, q1, q2, &h, nullptr);
}

void run(const char* name, const Config& c, const std::vector<int64_t>& sizes, const std::vector<float>& pattern,
         const float* q1, const float* q2) {
    Tensors t = make_tensors(c, sizes, pattern);
    const float ms = median_ms([&] { REQUIRE_OK(step(c, t, c.bits == 8 ? q1 : nullptr, c.bits == 8 ? q2 : nullptr)); });
    printf("%-34s %9.3f ms %9.1f G params/s %8.0f GB/s\n", name, ms, t.params / ms / 1e6, t.bytes_per_step / ms / 1e6);
    REQUIRE_OK(bnb_cuda_free(0, t.arena));
}

std::vector<int64_t> gpt2_medium() {
    std::vector<int64_t> s = {50257 * 1024, 1024 * 1024};
    for (int layer = 0; layer < 24; ++layer)
        for (int64_t n : {1024, 1024, 1024 * 3072, 3072, 1024 * 1024, 1024, 1024, 1024, 1024 * 4096, 4096,
                          4096 * 1024, 1024})
            s.push_back(n);
    s.push_back(1024);
    s.push_back(1024);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN [log2_n]\n", argv[0]);
        return 2;
    }
    const int64_t n = int64_t{1} << (argc > 2 ? atoi(argv[2]) : 30);
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    test::Random rng(1);
    std::vector<float> pattern(1 << 22);
    for (float& v : pattern) v = rng.normal() * 0.01f;
    std::vector<float> q1 = test::dynamic_map(), q2 = unsigned_dynamic_map();
    float *d1, *d2;
    REQUIRE_OK(bnb_cuda_malloc(0, 1024, reinterpret_cast<void**>(&d1)));
    REQUIRE_OK(bnb_cuda_malloc(0, 1024, reinterpret_cast<void**>(&d2)));
    REQUIRE_OK(bnb_cuda_memcpy(d1, q1.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memcpy(d2, q2.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    {
        void *a, *b;
        const int64_t bytes = int64_t{1} << 32;
        REQUIRE_OK(bnb_cuda_malloc(0, bytes, &a));
        REQUIRE_OK(bnb_cuda_malloc(0, bytes, &b));
        float ms = median_ms([&] { REQUIRE_OK(bnb_cuda_memcpy(b, a, bytes, BNB_COPY_DEVICE_TO_DEVICE, nullptr)); });
        printf("device copy of 4 GiB: %.0f GB/s (read + write)\n", 2.0 * bytes / ms / 1e6);
        REQUIRE_OK(bnb_cuda_free(0, a));
        REQUIRE_OK(bnb_cuda_free(0, b));
    }
    printf("one tensor of 2^%d elements:\n", __builtin_ctzll(n));
    struct Case {
        const char* name;
        int32_t opt, dtype, bits;
        float max_unorm;
        int32_t percentile;
    };
    const Case cases[] = {
        {"Adam 8-bit f32", BNB_OPTIM_ADAM, BNB_F32, 8, 0.0f, 100},
        {"Adam 8-bit bf16", BNB_OPTIM_ADAM, BNB_BF16, 8, 0.0f, 100},
        {"Adam 32-bit f32", BNB_OPTIM_ADAM, BNB_F32, 32, 0.0f, 100},
        {"AdEMAMix 8-bit f32", BNB_OPTIM_ADEMAMIX, BNB_F32, 8, 0.0f, 100},
        {"Momentum 8-bit f32", BNB_OPTIM_MOMENTUM, BNB_F32, 8, 0.0f, 100},
        {"Lion 8-bit bf16", BNB_OPTIM_LION, BNB_BF16, 8, 0.0f, 100},
        {"LAMB 8-bit f32 (cap)", BNB_OPTIM_LAMB, BNB_F32, 8, 1.0f, 100},
        {"Adam 8-bit f32 (percentile 5)", BNB_OPTIM_ADAM, BNB_F32, 8, 0.0f, 5},
    };
    for (const Case& k : cases) {
        Config c;
        c.opt = k.opt;
        c.dtype = k.dtype;
        c.bits = k.bits;
        c.max_unorm = k.max_unorm;
        c.percentile = k.percentile;
        c.weight_decay = 0.01f;
        run(k.name, c, {n}, pattern, d1, d2);
    }
    printf("GPT-2 medium (292 tensors, one call):\n");
    for (int32_t bits : {8, 32}) {
        Config c;
        c.bits = bits;
        c.weight_decay = 0.01f;
        run(bits == 8 ? "Adam 8-bit f32" : "Adam 32-bit f32", c, gpt2_medium(), pattern, d1, d2);
    }
    return 0;
}
