// The pointwise ops of bnb/nn_ops.h on the GPU: one map kernel for activations, SwiGLU, add, mul and scale, and
// dropout's kernel. f32 arithmetic (common/nn_math.h), one rounding to dtype per output element.
//
// The map kernel walks groups of W elements (16 bytes of dtype); when every pointer is 16-byte aligned and every
// input length a multiple of W, a whole group moves as one 16-byte vector per operand, else (and for the last,
// partial group) element by element. An input of length len < n is read at i % len (add's and mul's broadcast).
#include <stdint.h>

#include "common/nn_checks.h"
#include "common/nn_math.h"
#include "cuda/entry_points.h"
#include "cuda/nn/nn_common.cuh"

namespace bnb {
namespace {

template <int32_t D>
using Elem = typename CudaElement<D>::type;

template <int NI, int NO>
struct MapOperands {
    const void* in[NI];
    int64_t len[NI];
    void* out[NO];
};

template <int32_t D, int NI, int NO, typename Op>
__global__ void __launch_bounds__(kNnThreads) map_kernel(MapOperands<NI, NO> ops, int64_t n, bool vectors, Op op) {
    constexpr int W = kVectorWidth<D>;
    const int64_t groups = (n + W - 1) / W;
    for (int64_t g = blockIdx.x * int64_t{kNnThreads} + threadIdx.x; g < groups;
         g += int64_t{gridDim.x} * kNnThreads) {
        const int64_t first = g * W;
        float x[NI][W], y[NO][W];
        if (vectors && first + W <= n) {
#pragma unroll
            for (int k = 0; k < NI; ++k) {
                auto src = static_cast<const Elem<D>*>(ops.in[k]) + first % ops.len[k];
                unpack_floats<D>(*reinterpret_cast<const uint4*>(src), x[k]);
            }
#pragma unroll
            for (int v = 0; v < W; ++v) {
                float xi[NI], yi[NO];
#pragma unroll
                for (int k = 0; k < NI; ++k) xi[k] = x[k][v];
                op(xi, yi);
#pragma unroll
                for (int k = 0; k < NO; ++k) y[k][v] = yi[k];
            }
#pragma unroll
            for (int k = 0; k < NO; ++k)
                *reinterpret_cast<uint4*>(static_cast<Elem<D>*>(ops.out[k]) + first) = pack_floats<D>(y[k]);
        } else {
            for (int64_t i = first; i < n && i < first + W; ++i) {
                float xi[NI], yi[NO];
#pragma unroll
                for (int k = 0; k < NI; ++k)
                    xi[k] = CudaElement<D>::to_float(static_cast<const Elem<D>*>(ops.in[k])[i % ops.len[k]]);
                op(xi, yi);
#pragma unroll
                for (int k = 0; k < NO; ++k) static_cast<Elem<D>*>(ops.out[k])[i] = CudaElement<D>::from_float(yi[k]);
            }
        }
    }
}

// Launches the map of op over n elements of dtype D.
template <int32_t D, int NI, int NO, typename Op>
bnb_status launch_map(const char* name, const MapOperands<NI, NO>& ops, int64_t n, Op op, void* stream) {
    constexpr int W = kVectorWidth<D>;
    bool vectors = true;
    for (int k = 0; k < NI; ++k)
        vectors = vectors && reinterpret_cast<uintptr_t>(ops.in[k]) % 16 == 0 && ops.len[k] % W == 0;
    for (int k = 0; k < NO; ++k) vectors = vectors && reinterpret_cast<uintptr_t>(ops.out[k]) % 16 == 0;
    map_kernel<D, NI, NO, Op><<<nn_blocks((n + W - 1) / W), kNnThreads, 0, static_cast<cudaStream_t>(stream)>>>(
        ops, n, vectors, op);
    cudaError_t error = cudaGetLastError();
    if (error != cudaSuccess) return cuda_fail(error, __FILE__, __LINE__, name);
    return BNB_OK;
}

template <int32_t A>
struct Activate {
    __device__ void operator()(const float (&x)[1], float (&y)[1]) const { y[0] = nn_activate<A>(x[0]); }
};

template <int32_t A>
struct ActivateBackward {  // inputs: x, grad_y
    __device__ void operator()(const float (&x)[2], float (&y)[1]) const {
        y[0] = x[1] * nn_activate_derivative<A>(x[0]);
    }
};

struct Swiglu {  // inputs: gate, up
    __device__ void operator()(const float (&x)[2], float (&y)[1]) const {
        y[0] = nn_activate<BNB_ACT_SILU>(x[0]) * x[1];
    }
};

struct SwigluBackward {  // inputs: gate, up, grad_out; outputs: grad_gate, grad_up
    __device__ void operator()(const float (&x)[3], float (&y)[2]) const {
        y[0] = x[2] * x[1] * nn_activate_derivative<BNB_ACT_SILU>(x[0]);
        y[1] = x[2] * nn_activate<BNB_ACT_SILU>(x[0]);
    }
};

struct AddScaled {
    float alpha;
    __device__ void operator()(const float (&x)[2], float (&y)[1]) const { y[0] = x[0] + alpha * x[1]; }
};

struct Multiply {
    __device__ void operator()(const float (&x)[2], float (&y)[1]) const { y[0] = x[0] * x[1]; }
};

struct Scale {
    float s;
    __device__ void operator()(const float (&x)[1], float (&y)[1]) const { y[0] = x[0] * s; }
};

// One thread per group of four elements: one Philox call gives their four words.
template <int32_t D>
__global__ void __launch_bounds__(kNnThreads)
    dropout_kernel(const Elem<D>* x, Elem<D>* out, int64_t n, uint64_t seed, uint64_t offset, uint32_t threshold,
                   float scale) {
    const int64_t groups = (n + 3) / 4;
    for (int64_t g = blockIdx.x * int64_t{kNnThreads} + threadIdx.x; g < groups;
         g += int64_t{gridDim.x} * kNnThreads) {
        const Philox4 words = dropout_words(seed, offset, static_cast<uint64_t>(g));
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const int64_t i = 4 * g + k;
            if (i < n)
                out[i] = CudaElement<D>::from_float((words.w[k] >> 8) >= threshold
                                                        ? CudaElement<D>::to_float(x[i]) * scale : 0.0f);
        }
    }
}

}  // namespace
}  // namespace bnb

bnb_status bnbk_bnb_cuda_nn_activation(int32_t dtype, int32_t activation, const void* x, void* y, int64_t n,
                                       void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_activation", dtype, [&](auto dtag) -> bnb_status {
            return bnb::dispatch_activation("bnb_cuda_nn_activation", activation, [&](auto atag) -> bnb_status {
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(y);
                return bnb::launch_map<decltype(dtag)::value>("activation kernel",
                                                             bnb::MapOperands<1, 1>{{x}, {n}, {y}}, n,
                                                             bnb::Activate<decltype(atag)::value>{}, stream);
            });
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_activation_backward(int32_t dtype, int32_t activation, const void* x, const void* grad_y,
                                                void* grad_x, int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_activation_backward", dtype, [&](auto dtag) -> bnb_status {
            const char* name = "bnb_cuda_nn_activation_backward";
            return bnb::dispatch_activation(name, activation, [&](auto atag) -> bnb_status {
                BNB_CHECK_COUNT(n);
                if (n == 0) return BNB_OK;
                BNB_CHECK_NOT_NULL(x);
                BNB_CHECK_NOT_NULL(grad_y);
                BNB_CHECK_NOT_NULL(grad_x);
                return bnb::launch_map<decltype(dtag)::value>(
                    "activation backward kernel", bnb::MapOperands<2, 1>{{x, grad_y}, {n, n}, {grad_x}}, n,
                    bnb::ActivateBackward<decltype(atag)::value>{}, stream);
            });
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_swiglu(int32_t dtype, const void* gate, const void* up, void* out, int64_t n,
                                   void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_swiglu", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(gate);
            BNB_CHECK_NOT_NULL(up);
            BNB_CHECK_NOT_NULL(out);
            return bnb::launch_map<decltype(tag)::value>(
                "swiglu kernel", bnb::MapOperands<2, 1>{{gate, up}, {n, n}, {out}}, n, bnb::Swiglu{}, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_swiglu_backward(int32_t dtype, const void* gate, const void* up, const void* grad_out,
                                            void* grad_gate, void* grad_up, int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_swiglu_backward", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(gate);
            BNB_CHECK_NOT_NULL(up);
            BNB_CHECK_NOT_NULL(grad_out);
            BNB_CHECK_NOT_NULL(grad_gate);
            BNB_CHECK_NOT_NULL(grad_up);
            return bnb::launch_map<decltype(tag)::value>(
                "swiglu backward kernel",
                bnb::MapOperands<3, 2>{{gate, up, grad_out}, {n, n, n}, {grad_gate, grad_up}}, n, bnb::SwigluBackward{},
                stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_add(int32_t dtype, const void* a, const void* b, float alpha, void* out, int64_t n,
                                int64_t nb, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_add", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BROADCAST(n, nb);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(a);
            BNB_CHECK_NOT_NULL(b);
            BNB_CHECK_NOT_NULL(out);
            return bnb::launch_map<decltype(tag)::value>(
                "add kernel", bnb::MapOperands<2, 1>{{a, b}, {n, nb}, {out}}, n, bnb::AddScaled{alpha}, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_mul(int32_t dtype, const void* a, const void* b, void* out, int64_t n, int64_t nb,
                                void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_mul", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_COUNT(n);
            BNB_CHECK_BROADCAST(n, nb);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(a);
            BNB_CHECK_NOT_NULL(b);
            BNB_CHECK_NOT_NULL(out);
            return bnb::launch_map<decltype(tag)::value>(
                "mul kernel", bnb::MapOperands<2, 1>{{a, b}, {n, nb}, {out}}, n, bnb::Multiply{}, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_scale(int32_t dtype, const void* x, float s, void* out, int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_scale", dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            return bnb::launch_map<decltype(tag)::value>("scale kernel", bnb::MapOperands<1, 1>{{x}, {n}, {out}}, n,
                                                        bnb::Scale{s}, stream);
        });
    });
}

bnb_status bnbk_bnb_cuda_nn_dropout(int32_t dtype, const void* x, float p, uint64_t seed, uint64_t offset, void* out,
                                    int64_t n, void* stream) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cuda_nn_dropout", dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_CHECK_COUNT(n);
            BNB_CHECK_DROPOUT_P(p);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(x);
            BNB_CHECK_NOT_NULL(out);
            auto s = static_cast<cudaStream_t>(stream);
            bnb::dropout_kernel<D><<<bnb::nn_blocks((n + 3) / 4), bnb::kNnThreads, 0, s>>>(
                static_cast<const bnb::Elem<D>*>(x), static_cast<bnb::Elem<D>*>(out), n, seed, offset,
                bnb::dropout_threshold(p), bnb::dropout_scale(p));
            BNB_CUDA_CHECK_LAUNCH("dropout_kernel");
            return BNB_OK;
        });
    });
}
