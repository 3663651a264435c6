// The pointwise ops of bnb/nn_ops.h on the host: activations and their gradients, SwiGLU, add, mul, scale and
// dropout. f32 arithmetic (common/nn_math.h), one rounding to dtype per output element.
#include <stdint.h>

#include "common/nn_checks.h"
#include "common/nn_math.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 16;

// Runs op(i) for every i < n, in parallel slices.
template <typename Op>
void for_each_index(int64_t n, const Op& op) {
    bnb::parallel_for(n, kElementsPerThread, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) op(i);
    });
}

template <int32_t D>
using Elem = typename bnb::CpuElement<D>::type;

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_nn_activation(int32_t dtype, int32_t activation, const void* x, void* y,
                                                    int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_activation", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_activation("bnb_cpu_nn_activation", activation, [&](auto atag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using E = bnb::CpuElement<D>;
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(y);
                auto in = static_cast<const Elem<D>*>(x);
                auto out = static_cast<Elem<D>*>(y);
                for_each_index(n, [&](int64_t i) {
                    out[i] = E::store(bnb::nn_activate<decltype(atag)::value>(E::load(in[i])));
                });
                return BNB_OK;
            });
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_activation_backward(int32_t dtype, int32_t activation, const void* x,
                                                             const void* grad_y, void* grad_x, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_activation_backward", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_activation("bnb_cpu_nn_activation_backward", activation, [&](auto atag) -> bnb_status {
                constexpr int32_t D = decltype(dtag)::value;
                using E = bnb::CpuElement<D>;
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(grad_y);
                BNB_CHECK_NOT_NULL(grad_x);
                auto in = static_cast<const Elem<D>*>(x);
                auto g = static_cast<const Elem<D>*>(grad_y);
                auto out = static_cast<Elem<D>*>(grad_x);
                for_each_index(n, [&](int64_t i) {
                    const float d = bnb::nn_activate_derivative<decltype(atag)::value>(E::load(in[i]));
                    out[i] = E::store(E::load(g[i]) * d);
                });
                return BNB_OK;
            });
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_swiglu(int32_t dtype, const void* gate, const void* up, void* out,
                                                int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_swiglu", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(gate);
            BNB_CHECK_NOT_NULL(up);
            BNB_CHECK_NOT_NULL(out);
            auto g = static_cast<const Elem<D>*>(gate);
            auto u = static_cast<const Elem<D>*>(up);
            auto o = static_cast<Elem<D>*>(out);
            for_each_index(n, [&](int64_t i) {
                o[i] = E::store(bnb::nn_activate<BNB_ACT_SILU>(E::load(g[i])) * E::load(u[i]));
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_swiglu_backward(int32_t dtype, const void* gate, const void* up,
                                                         const void* grad_out, void* grad_gate, void* grad_up,
                                                         int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_swiglu_backward", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(gate);
            BNB_CHECK_NOT_NULL(up);
            BNB_CHECK_NOT_NULL(grad_out);
            BNB_CHECK_NOT_NULL(grad_gate);
            BNB_CHECK_NOT_NULL(grad_up);
            auto g = static_cast<const Elem<D>*>(gate);
            auto u = static_cast<const Elem<D>*>(up);
            auto go = static_cast<const Elem<D>*>(grad_out);
            auto gg = static_cast<Elem<D>*>(grad_gate);
            auto gu = static_cast<Elem<D>*>(grad_up);
            for_each_index(n, [&](int64_t i) {
                const float x = E::load(g[i]), y = E::load(u[i]), dy = E::load(go[i]);  // read before writing
                gg[i] = E::store(dy * y * bnb::nn_activate_derivative<BNB_ACT_SILU>(x));
                gu[i] = E::store(dy * bnb::nn_activate<BNB_ACT_SILU>(x));
            });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_add(int32_t dtype, const void* a, const void* b, float alpha, void* out,
                                             int64_t n, int64_t nb) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_add", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BROADCAST(n, nb);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(a);
            BNB_CHECK_NOT_NULL(b);
            BNB_CHECK_NOT_NULL(out);
            auto x = static_cast<const Elem<D>*>(a);
            auto y = static_cast<const Elem<D>*>(b);
            auto o = static_cast<Elem<D>*>(out);
            for_each_index(n, [&](int64_t i) { o[i] = E::store(E::load(x[i]) + alpha * E::load(y[i % nb])); });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_mul(int32_t dtype, const void* a, const void* b, void* out, int64_t n,
                                             int64_t nb) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_mul", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BROADCAST(n, nb);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(a);
            BNB_CHECK_NOT_NULL(b);
            BNB_CHECK_NOT_NULL(out);
            auto x = static_cast<const Elem<D>*>(a);
            auto y = static_cast<const Elem<D>*>(b);
            auto o = static_cast<Elem<D>*>(out);
            for_each_index(n, [&](int64_t i) { o[i] = E::store(E::load(x[i]) * E::load(y[i % nb])); });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_scale(int32_t dtype, const void* x, float s, void* out, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_scale", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            auto in = static_cast<const Elem<D>*>(x);
            auto o = static_cast<Elem<D>*>(out);
            for_each_index(n, [&](int64_t i) { o[i] = E::store(E::load(in[i]) * s); });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_nn_dropout(int32_t dtype, const void* x, float p, uint64_t seed,
                                                 uint64_t offset, void* out, int64_t n) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_nn_dropout", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using E = bnb::CpuElement<D>;
            BNB_CHECK_COUNT(n);
            BNB_CHECK_DROPOUT_P(p);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            auto in = static_cast<const Elem<D>*>(x);
            auto o = static_cast<Elem<D>*>(out);
            const uint32_t threshold = bnb::dropout_threshold(p);
            const float scale = bnb::dropout_scale(p);
            const int64_t groups = (n + 3) / 4;
            bnb::parallel_for(groups, kElementsPerThread / 4, [&](int64_t first, int64_t last) {
                for (int64_t g = first; g < last; ++g) {
                    const bnb::Philox4 words = bnb::dropout_words(seed, offset, static_cast<uint64_t>(g));
                    for (int k = 0; k < 4 && 4 * g + k < n; ++k) {
                        const int64_t i = 4 * g + k;
                        o[i] = E::store((words.w[k] >> 8) >= threshold ? E::load(in[i]) * scale : 0.0f);
                    }
                }
            });
            return BNB_OK;
        });
    });
}
