// The per-token cost of the transformer ops at Llama-2-7B's shapes (hidden 4096, 32 heads of 128, vocab
// 32000), as JSON lines: device microseconds per call, each the median over runs of 100 back-to-back calls
// (so launch gaps count, as they do in a decode step). Usage:
//   bnb_transformer_cuda_bench PATH_TO_libbnb_cudaXY.so
#include <math.h>

#include "bench_util.h"
#include "test_util.h"

namespace {

constexpr int kCalls = 100;

void* device_zeros(int64_t bytes) {
    void* p = nullptr;
    REQUIRE_OK(bnb_cuda_malloc(0, bytes, &p));
    REQUIRE_OK(bnb_cuda_memset(p, 0, bytes, nullptr));
    return p;
}

// Fills a bf16 / f16 / f32 device buffer with small random values (the kernels' time does not depend on them).
void* device_random(int32_t dtype, int64_t n, uint64_t seed) {
    const int64_t size = dtype == BNB_F32 ? 4 : 2;
    std::vector<uint8_t> host(n * size);
    test::Random rng(seed);
    for (int64_t i = 0; i < n; ++i) {
        const float v = rng.normal() * 0.5f;
        uint32_t bits = test::bits_of(v);
        if (dtype == BNB_F32) {
            memcpy(&host[i * 4], &bits, 4);
        } else {
            // f16 keeps values in range; bf16 takes the high half (truncation is fine for timing)
            const uint16_t h = dtype == BNB_BF16 ? static_cast<uint16_t>(bits >> 16)
                                                 : static_cast<uint16_t>(0x3800 + (bits & 0x3ff));
            memcpy(&host[i * 2], &h, 2);
        }
    }
    void* p = device_zeros(n * size);
    REQUIRE_OK(bnb_cuda_memcpy(p, host.data(), n * size, BNB_COPY_HOST_TO_DEVICE, nullptr));
    REQUIRE_OK(bnb_cuda_stream_synchronize(nullptr));
    return p;
}

const char* label(int32_t dtype) { return dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16"; }

template <typename Op>
float us_per_call(Op op) {
    return median_ms([&] {
               for (int i = 0; i < kCalls; ++i) op();
           }) *
           1000.0f / kCalls;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_CUDA_PLUGIN\n", argv[0]);
        return 2;
    }
    REQUIRE_OK(bnb_cuda_backend_load(argv[1]));
    const int64_t hidden = 4096, heads = 32, d = 128, vocab = 32000, max_context = 4096;
    for (int32_t dtype : {BNB_BF16, BNB_F16, BNB_F32}) {
        void* x = device_random(dtype, 32 * hidden, 1);
        void* w = device_random(dtype, hidden, 2);
        void* out = device_zeros(32 * hidden * 4);
        for (int64_t rows : {1, 32}) {
            float us = us_per_call(
                [&] { REQUIRE_OK(bnb_cuda_rms_norm(dtype, x, w, out, nullptr, rows, hidden, 1e-5f, nullptr)); });
            printf("{\"kind\":\"transformer\",\"op\":\"rms_norm\",\"dtype\":\"%s\",\"rows\":%lld,\"n\":%lld,"
                   "\"us\":%.2f}\n",
                   label(dtype), (long long)rows, (long long)hidden, us);
        }
        float* inv = static_cast<float*>(device_zeros(d / 2 * 4));
        for (int64_t T : {1, 32}) {
            // q and k of one layer (32 heads each for Llama-2-7B), in place, as a decoder applies them
            float us = us_per_call([&] {
                REQUIRE_OK(bnb_cuda_rope(dtype, x, x, inv, 1, T, heads, d, 64, nullptr));
                REQUIRE_OK(bnb_cuda_rope(dtype, out, out, inv, 1, T, heads, d, 64, nullptr));
            });
            printf("{\"kind\":\"transformer\",\"op\":\"rope_qk\",\"dtype\":\"%s\",\"T\":%lld,\"heads\":%lld,\"d\":%lld,"
                   "\"us\":%.2f}\n",
                   label(dtype), (long long)T, (long long)heads, (long long)d, us);
        }
        void* k = device_random(dtype, max_context * heads * d, 3);
        void* v = device_random(dtype, max_context * heads * d, 4);
        const int64_t workspace_len = 32 * heads * 64 * (d + 2);
        float* workspace = static_cast<float*>(device_zeros(workspace_len * 4));
        const float scale = 1.0f / sqrtf(static_cast<float>(d));
        for (int64_t kv_heads : {heads, heads / 4})
            for (int64_t context : {96, 512, 4096})
                for (int64_t T : {1, 32}) {
                    if (T > 1 && context != 96) continue;  // the prefill: a 32-token prompt
                    const int64_t kv_len = T == 1 ? context : T;
                    for (bool split : {true, false}) {
                        float us = us_per_call([&] {
                            REQUIRE_OK(bnb_cuda_attention(dtype, x, k, v, out, 1, T, heads, kv_heads, d, kv_len,
                                                          max_context, scale, split ? workspace : nullptr,
                                                          split ? workspace_len : 0, nullptr));
                        });
                        printf("{\"kind\":\"transformer\",\"op\":\"attention\",\"dtype\":\"%s\",\"T\":%lld,"
                               "\"q_heads\":%lld,\"kv_heads\":%lld,\"d\":%lld,\"kv_len\":%lld,\"split\":%s,"
                               "\"us\":%.2f}\n",
                               label(dtype), (long long)T, (long long)heads, (long long)kv_heads, (long long)d,
                               (long long)kv_len, split ? "true" : "false", us);
                    }
                }
        void* logits = device_random(dtype, vocab, 5);
        void* probs = device_zeros(vocab * 4);
        void* index = device_zeros(8);
        float us = us_per_call([&] { REQUIRE_OK(bnb_cuda_softmax(dtype, logits, BNB_F32, probs, 1, vocab, nullptr)); });
        printf("{\"kind\":\"transformer\",\"op\":\"softmax\",\"dtype\":\"%s\",\"rows\":1,\"n\":%lld,\"us\":%.2f}\n",
               label(dtype), (long long)vocab, us);
        us = us_per_call(
            [&] { REQUIRE_OK(bnb_cuda_argmax(dtype, logits, static_cast<int64_t*>(index), 1, vocab, nullptr)); });
        printf("{\"kind\":\"transformer\",\"op\":\"argmax\",\"dtype\":\"%s\",\"rows\":1,\"n\":%lld,\"us\":%.2f}\n",
               label(dtype), (long long)vocab, us);
        fflush(stdout);
        for (void* p : {x, w, out, static_cast<void*>(inv), k, v, static_cast<void*>(workspace), logits, probs, index})
            REQUIRE_OK(bnb_cuda_free(0, p));
    }
    return 0;
}
