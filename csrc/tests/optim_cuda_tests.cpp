// bnb_cuda_optimizer_step against bnb_cpu_optimizer_step: the same inputs must give the same bits
// (parameters, 32-bit state, codes, absmax, scratch, gradient-norm history) for every rule, dtype and
// state width, with weight decay, percentile clipping, the update-norm cap, skip_zeros and NaN
// gradients, over many tensors in one call (several launch chunks), with tail blocks, empty tensors and
// misaligned addresses. Usage: bnb_optim_cuda_tests PATH_TO_libbnb_cudaXY.so
#include "optim_harness.h"

namespace {

using namespace optest;
using test::Random;

#define REQUIRE_OK(call)                                                                   \
    do {                                                                                   \
        bnb_status s_ = (call);                                                            \
        if (s_ != BNB_OK) {                                                                \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, bnb_last_error()); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

// One device allocation holding copies of slots' buffers, each at a 256-byte boundary plus `shift`
// bytes (shift > 0 makes the addresses unfit for vector loads).
struct DeviceCopy {
    void* base = nullptr;
    std::vector<std::vector<int64_t>> addr;  // [slot][buffer]
    std::vector<std::vector<size_t>> bytes;
    static constexpr int kBuffers = 8;

    static std::vector<std::pair<const void*, size_t>> buffers(const Slot& s) {
        return {{s.p.data(), s.p.size()},
                {s.g.data(), s.g.size()},
                {s.s1.data(), s.s1.size()},
                {s.s2.data(), s.s2.size()},
                {s.a1.data(), s.a1.size() * 4},
                {s.a2.data(), s.a2.size() * 4},
                {s.scratch.data(), s.scratch.size() * 4},
                {s.gnorm.data(), s.gnorm.size() * 4}};
    }

    DeviceCopy(const Config& c, const std::vector<Slot>& slots, const std::vector<int>& shifts) {
        size_t total = 0;
        for (const Slot& s : slots)
            for (auto& b : buffers(s)) total += (b.second + 256 + 16 + 255) / 256 * 256;
        REQUIRE_OK(bnb_cuda_malloc(0, static_cast<int64_t>(total) + 256, &base));
        size_t offset = 0;
        for (size_t k = 0; k < slots.size(); ++k) {
            addr.emplace_back();
            bytes.emplace_back();
            int f = 0;
            for (auto& b : buffers(slots[k])) {
                // p, g, state1 and state2 of a shifted slot move by one element.
                const int64_t elem = f < 2 ? dtype_size(c.dtype) : c.bits == 8 ? 1 : 4;
                const size_t shift = f < 4 && shifts[k] != 0 ? static_cast<size_t>(elem) : 0;
                char* at = static_cast<char*>(base) + offset + shift;
                addr[k].push_back(b.second ? static_cast<int64_t>(reinterpret_cast<intptr_t>(at)) : 0);
                bytes[k].push_back(b.second);
                if (b.second) REQUIRE_OK(bnb_cuda_memcpy(at, b.first, b.second, BNB_COPY_HOST_TO_DEVICE, nullptr));
                offset += (b.second + 256 + 16 + 255) / 256 * 256;
                ++f;
            }
        }
    }
    ~DeviceCopy() { bnb_cuda_free(0, base); }

    void download(std::vector<Slot>& slots) const {
        REQUIRE_OK(bnb_cuda_stream_synchronize(nullptr));
        for (size_t k = 0; k < slots.size(); ++k) {
            Slot& s = slots[k];
            void* dst[kBuffers] = {s.p.data(), s.g.data(), s.s1.data(), s.s2.data(),
                                   s.a1.data(), s.a2.data(), s.scratch.data(), s.gnorm.data()};
            for (int f = 0; f < kBuffers; ++f)
                if (bytes[k][f])
                    REQUIRE_OK(bnb_cuda_memcpy(dst[f], reinterpret_cast<void*>(static_cast<intptr_t>(addr[k][f])),
                                               static_cast<int64_t>(bytes[k][f]), BNB_COPY_DEVICE_TO_HOST, nullptr));
        }
    }

    std::vector<int64_t> column(int f) const {
        std::vector<int64_t> c;
        for (auto& a : addr) c.push_back(a[f]);
        return c;
    }
};

bnb_status gpu_step(const Config& c, const std::vector<Slot>& slots, const DeviceCopy& dev, const float* q1,
                    const float* q2) {
    std::vector<int64_t> cols[DeviceCopy::kBuffers];
    for (int f = 0; f < DeviceCopy::kBuffers; ++f) cols[f] = dev.column(f);
    std::vector<int64_t> numel;
    std::vector<int32_t> steps;
    for (const Slot& s : slots) {
        numel.push_back(s.n);
        steps.push_back(s.step);
    }
    const bnb_optim_tensors t{static_cast<int32_t>(slots.size()), cols[0].data(), cols[1].data(), cols[2].data(),
                              cols[3].data(), cols[4].data(), cols[5].data(), cols[6].data(), cols[7].data(),
                              numel.data(), steps.data()};
    const bnb_optim_hparams h = hparams_of(c);
    return bnb_cuda_optimizer_step(c.opt, c.dtype, c.bits, &t, c.bits == 8 ? q1 : nullptr,
                                   c.bits == 8 && two_state(c.opt) ? q2 : nullptr, &h, nullptr);
}

// Equal bits; parameters may hold NaNs of different payloads.
bool same_params(int32_t dtype, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int64_t* where) {
    const int64_t n = static_cast<int64_t>(a.size()) / dtype_size(dtype);
    for (int64_t i = 0; i < n; ++i) {
        const float x = load_param(dtype, a.data(), i), y = load_param(dtype, b.data(), i);
        const bool same = dtype == BNB_F32 ? test::same_float(x, y)
                                           : (memcmp(a.data() + 2 * i, b.data() + 2 * i, 2) == 0 ||
                                              (isnan(x) && isnan(y)));
        if (!same) {
            *where = i;
            return false;
        }
    }
    return true;
}

bool same_f32(const uint8_t* a, const uint8_t* b, size_t bytes, int64_t* where) {
    for (size_t i = 0; i < bytes / 4; ++i) {
        float x, y;
        memcpy(&x, a + 4 * i, 4);
        memcpy(&y, b + 4 * i, 4);
        if (!test::same_float(x, y)) {
            *where = static_cast<int64_t>(i);
            return false;
        }
    }
    return true;
}

// Steps slots on both backends and compares everything.
void compare(const Config& c, std::vector<Slot> slots, const std::vector<int>& shifts, const float* q1h,
             const float* q2h, const float* q1d, const float* q2d, const char* label) {
    DeviceCopy dev(c, slots, shifts);
    std::vector<Slot> cpu = slots;
    REQUIRE_OK(gpu_step(c, slots, dev, q1d, q2d));
    std::vector<Slot> gpu = slots;
    dev.download(gpu);
    REQUIRE_OK(cpu_step(c, cpu, q1h, q2h));
    for (size_t k = 0; k < slots.size(); ++k) {
        const Slot &a = gpu[k], &b = cpu[k];
        int64_t at = -1;
        CHECK_OR_RETURN(same_params(c.dtype, a.p, b.p, &at), "%s tensor %zu (n=%lld): p[%lld] GPU %.9g, CPU %.9g",
                        label, k, (long long)a.n, (long long)at, load_param(c.dtype, a.p.data(), at),
                        load_param(c.dtype, b.p.data(), at));
        if (c.bits == 32) {
            CHECK_OR_RETURN(same_f32(a.s1.data(), b.s1.data(), a.s1.size(), &at), "%s tensor %zu: state1[%lld] differs",
                            label, k, (long long)at);
            CHECK_OR_RETURN(same_f32(a.s2.data(), b.s2.data(), a.s2.size(), &at), "%s tensor %zu: state2[%lld] differs",
                            label, k, (long long)at);
        } else {
            for (size_t i = 0; i < a.s1.size(); ++i)
                CHECK_OR_RETURN(a.s1[i] == b.s1[i], "%s tensor %zu (n=%lld): state1[%zu] GPU %d, CPU %d", label, k,
                                (long long)a.n, i, a.s1[i], b.s1[i]);
            for (size_t i = 0; i < a.s2.size(); ++i)
                CHECK_OR_RETURN(a.s2[i] == b.s2[i], "%s tensor %zu: state2[%zu] GPU %d, CPU %d", label, k, i, a.s2[i],
                                b.s2[i]);
            CHECK_OR_RETURN(same_f32(reinterpret_cast<const uint8_t*>(a.a1.data()),
                                     reinterpret_cast<const uint8_t*>(b.a1.data()), a.a1.size() * 4, &at),
                            "%s tensor %zu: absmax1[%lld] GPU %.9g, CPU %.9g", label, k, (long long)at, a.a1[at],
                            b.a1[at]);
            CHECK_OR_RETURN(same_f32(reinterpret_cast<const uint8_t*>(a.a2.data()),
                                     reinterpret_cast<const uint8_t*>(b.a2.data()), a.a2.size() * 4, &at),
                            "%s tensor %zu: absmax2[%lld] differs", label, k, (long long)at);
        }
        CHECK_OR_RETURN(a.scratch == b.scratch, "%s tensor %zu: scratch GPU (%.9g, %.9g), CPU (%.9g, %.9g)", label, k,
                        a.scratch[0], a.scratch[1], b.scratch[0], b.scratch[1]);
        CHECK_OR_RETURN(a.gnorm == b.gnorm, "%s tensor %zu: gradient-norm history differs", label, k);
    }
}

struct Maps {
    std::vector<float> q1 = test::dynamic_map();
    std::vector<float> q2 = unsigned_dynamic_map();
    float* d1 = nullptr;
    float* d2 = nullptr;
    Maps() {
        REQUIRE_OK(bnb_cuda_malloc(0, 1024, reinterpret_cast<void**>(&d1)));
        REQUIRE_OK(bnb_cuda_malloc(0, 1024, reinterpret_cast<void**>(&d2)));
        REQUIRE_OK(bnb_cuda_memcpy(d1, q1.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
        REQUIRE_OK(bnb_cuda_memcpy(d2, q2.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    }
    ~Maps() {
        bnb_cuda_free(0, d1);
        bnb_cuda_free(0, d2);
    }
};

void test_all_rules(const Maps& maps) {
    Random rng(31);
    const int64_t sizes[] = {1, 255, 256, 257, 1000, 0, 4096 + 17, 70000, 512, 3};
    const int32_t steps[] = {1, 2, 7, 3, 1, 5, 11, 2, 101, 4};
    const std::vector<int> shifts = {0, 0, 1, 0, 0, 0, 1, 0, 0, 1};
    int configs = 0;
    for (int32_t bits : {32, 8})
        for (int32_t opt : kAllOptimizers)
            for (int32_t dtype : kAllDtypes)
                for (int variant = 0; variant < 6; ++variant) {
                    // 0 plain; 1 weight decay; 2 + percentile clipping; 3 + update-norm cap;
                    // 4 skip_zeros with zero gradients; 5 NaN and infinite gradients.
                    Config c;
                    c.opt = opt;
                    c.dtype = dtype;
                    c.bits = bits;
                    c.weight_decay = variant >= 1 ? 0.01f : 0.0f;
                    c.percentile = variant == 2 || variant == 3 ? 20 : 100;
                    c.max_unorm = variant == 3 ? 0.01f : 0.0f;
                    c.skip_zeros = variant == 4;
                    if (opt == BNB_OPTIM_LION) c.beta2 = 0.99f;
                    if (opt == BNB_OPTIM_RMSPROP) c.beta1 = 0.99f;
                    std::vector<Slot> slots;
                    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
                        slots.push_back(make_slot(c, sizes[k], steps[k], rng));
                        Slot& s = slots.back();
                        if (variant == 2 || variant == 3)
                            for (float& h : s.gnorm) h *= 1e-4f;
                        if (variant == 4)
                            for (int64_t i = 0; i < s.n; i += 3) store_param(dtype, s.g.data(), i, 0.0f);
                        if (variant == 5) {
                            const float specials[] = {NAN, INFINITY, -INFINITY};
                            for (int64_t i = 1, j = 0; i < s.n; i += 29, ++j)
                                store_param(dtype, s.g.data(), i, specials[j % 3]);
                        }
                    }
                    char label[128];
                    snprintf(label, sizeof label, "%s %s %d-bit variant %d", opt_name(opt), dtype_label(dtype), bits,
                             variant);
                    compare(c, slots, shifts, maps.q1.data(), maps.q2.data(), maps.d1, maps.d2, label);
                    ++configs;
                }
    printf("  %d configurations compared\n", configs);
}

// More tensors than one launch takes, with clipping and the cap: the chunks and the per-tensor scales.
void test_many_tensors(const Maps& maps) {
    Random rng(32);
    for (int32_t bits : {32, 8})
        for (int32_t opt : {BNB_OPTIM_LAMB, BNB_OPTIM_ADEMAMIX, BNB_OPTIM_LARS}) {
            Config c;
            c.opt = opt;
            c.bits = bits;
            c.dtype = BNB_F16;
            c.weight_decay = 0.01f;
            c.percentile = 30;
            c.max_unorm = 0.02f;
            std::vector<Slot> slots;
            std::vector<int> shifts;
            for (int k = 0; k < 450; ++k) {
                const int64_t n = k % 7 == 0 ? 0 : 1 + rng.below(k % 5 == 0 ? 5000 : 600);
                slots.push_back(make_slot(c, n, 1 + static_cast<int32_t>(rng.below(300)), rng));
                for (float& h : slots.back().gnorm) h *= 1e-3f;
                shifts.push_back(k % 11 == 0);
            }
            char label[64];
            snprintf(label, sizeof label, "%s %d-bit, 450 tensors", opt_name(opt), bits);
            compare(c, slots, shifts, maps.q1.data(), maps.q2.data(), maps.d1, maps.d2, label);
        }
}

// A few big tensors (many resident warps per tensor, the grid-stride loop).
void test_large(const Maps& maps) {
    Random rng(33);
    for (int32_t bits : {8, 32})
        for (int32_t dtype : {BNB_F32, BNB_BF16}) {
            Config c;
            c.bits = bits;
            c.dtype = dtype;
            c.weight_decay = 0.01f;
            c.max_unorm = bits == 8 ? 0.0f : 1.0f;
            c.opt = bits == 8 ? BNB_OPTIM_ADAM : BNB_OPTIM_LAMB;
            std::vector<Slot> slots{make_slot(c, (int64_t{1} << 22) + 77, 9, rng), make_slot(c, 1 << 20, 2, rng)};
            char label[64];
            snprintf(label, sizeof label, "%s %s %d-bit large", opt_name(c.opt), dtype_label(dtype), bits);
            compare(c, slots, {0, 0}, maps.q1.data(), maps.q2.data(), maps.d1, maps.d2, label);
        }
}

// Code books that strain the step tables (two codes one ulp apart; 256 codes in [0.5, 0.6], whose buckets
// hold many steps and fall back to the search): the same bits as the CPU.
void test_irregular_maps() {
    Random rng(35);
    Maps maps;
    maps.q1[200] = nextafterf(maps.q1[199], INFINITY);  // two codes one ulp apart
    for (int i = 0; i < 256; ++i) maps.q2[i] = 0.5f + i * (0.1f / 255);  // crowded buckets
    REQUIRE_OK(bnb_cuda_memcpy(maps.d1, maps.q1.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_memcpy(maps.d2, maps.q2.data(), 1024, BNB_COPY_HOST_TO_DEVICE, nullptr));
    for (int32_t opt : {BNB_OPTIM_ADAM, BNB_OPTIM_MOMENTUM}) {
        Config c;
        c.opt = opt;
        c.bits = 8;
        c.weight_decay = 0.01f;
        std::vector<Slot> slots{make_slot(c, 70000, 3, rng), make_slot(c, 300, 2, rng)};
        char label[64];
        snprintf(label, sizeof label, "%s 8-bit, irregular code books", opt_name(opt));
        compare(c, slots, {0, 1}, maps.q1.data(), maps.q2.data(), maps.d1, maps.d2, label);
    }
}

void test_arguments(const Maps& maps) {
    // Validation is shared with the CPU (tested there); here: it runs before anything is launched.
    Random rng(34);
    Config c;
    c.bits = 8;
    std::vector<Slot> slots{make_slot(c, 1000, 2, rng), make_slot(c, 10, 0, rng)};
    DeviceCopy dev(c, slots, {0, 0});
    CHECK_FAILS(gpu_step(c, slots, dev, maps.d1, maps.d2), BNB_ERR_INVALID_ARGUMENT);
    std::vector<Slot> after = slots;
    dev.download(after);
    CHECK(after[0].p == slots[0].p && after[0].s1 == slots[0].s1 && after[0].a1 == slots[0].a1,
          "a rejected call changed tensor 0");
    const bnb_optim_tensors none{0, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr};
    const bnb_optim_hparams h{0.1f, 0.9f, 0.9f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 100, 0};
    CHECK_FAILS(bnb_cuda_optimizer_step(42, BNB_F32, 8, &none, nullptr, nullptr, &h, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK_OK(bnb_cuda_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 8, &none, nullptr, nullptr, &h, nullptr));
    CHECK_FAILS(bnb_cuda_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 8, nullptr, nullptr, nullptr, &h, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_optim_cuda_tests", argc, argv); status >= 0) return status;
    {
        Maps maps;
        test_all_rules(maps);
        test_many_tensors(maps);
        test_large(maps);
        test_irregular_maps();
        test_arguments(maps);
    }
    return test::finish_program("bnb_optim_cuda_tests");
}
