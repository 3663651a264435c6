// bnb_cpu_optimizer_step: the optimizer update kernels on the host, bit for bit what the CUDA plugin
// computes (the element arithmetic lives in common/optim_math.h; this file is compiled with
// -ffp-contract=off, see csrc/CMakeLists.txt).
//
// A step runs the same passes as on the GPU, each over the 256-element state blocks of all tensors:
//   1. percentile < 100: sum of g^2 per tensor, into the gradient-norm history; gnorm_scale per tensor;
//   2. max_unorm > 0: sums of u^2 and p^2 per tensor, into scratch; the update scale per tensor;
//   3. the update itself.
#include <math.h>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "common/optim_plan.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

using namespace bnb::optim;

// State blocks per thread, at least: about 16K elements.
constexpr int64_t kBlocksPerThread = 64;

template <int32_t D>
struct CpuRound {
    static float apply(float x) { return bnb::CpuElement<D>::load(bnb::CpuElement<D>::store(x)); }
};
template <>
struct CpuRound<BNB_F32> : NoRound {};

// The tensors' state blocks numbered one after the other: tensor t owns [start[t], start[t + 1]).
struct BlockIndex {
    std::vector<int64_t> start;

    explicit BlockIndex(const Plan& plan) : start(plan.tensors.size() + 1, 0) {
        for (size_t t = 0; t < plan.tensors.size(); ++t) start[t + 1] = start[t] + plan.tensors[t].blocks;
    }
    int64_t total() const { return start.back(); }
    size_t tensor_of(int64_t block) const {
        return static_cast<size_t>(std::upper_bound(start.begin(), start.end(), block) - start.begin() - 1);
    }
};

// Per-tensor sums of two terms over all blocks, in double. term(tensor, block, &a, &b) adds the block's
// contributions. The slices of the parallel loop are merged in block order, so the result depends only
// on the input and the number of threads.
template <typename Term>
void sum_per_tensor(const Plan& plan, const BlockIndex& index, const Term& term, std::vector<double>& sum_a,
                    std::vector<double>& sum_b) {
    struct Partial {
        size_t tensor;
        double a, b;
    };
    std::vector<std::pair<int64_t, std::vector<Partial>>> slices;
    std::mutex mutex;
    bnb::parallel_for(index.total(), kBlocksPerThread, [&](int64_t first, int64_t last) {
        std::vector<Partial> partials;
        size_t t = index.tensor_of(first);
        double a = 0.0, b = 0.0;
        for (int64_t block = first; block < last; ++block) {
            while (block >= index.start[t + 1]) {
                partials.push_back({t, a, b});
                a = b = 0.0;
                ++t;
            }
            term(plan.tensors[t], block - index.start[t], a, b);
        }
        partials.push_back({t, a, b});
        std::lock_guard<std::mutex> lock(mutex);
        slices.emplace_back(first, std::move(partials));
    });
    std::sort(slices.begin(), slices.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    sum_a.assign(plan.tensors.size(), 0.0);
    sum_b.assign(plan.tensors.size(), 0.0);
    for (const auto& slice : slices)
        for (const Partial& p : slice.second) {
            sum_a[p.tensor] += p.a;
            sum_b[p.tensor] += p.b;
        }
}

struct Tables {
    OptimCodeTable q1, q2;
};

template <int R, int32_t D>
struct Kernels {
    using E = bnb::CpuElement<D>;
    using T = typename E::type;
    using Rnd = CpuRound<D>;

    static void gnorm_block(const TensorPlan& t, int64_t b, double& sum, double&) {
        const T* g = static_cast<const T*>(t.g);
        const int64_t end = std::min(t.n, (b + 1) * kBlock);
        for (int64_t i = b * kBlock; i < end; ++i) {
            const double x = E::load(g[i]);
            sum += x * x;
        }
    }

    static void unorm_block(const Plan& plan, float gs, const TensorPlan& t, int64_t b, double& usum,
                            double& psum) {
        const T* g = static_cast<const T*>(t.g);
        const T* p = static_cast<const T*>(t.p);
        const int64_t end = std::min(t.n, (b + 1) * kBlock);
        const Scalars& s = plan.s;
        for (int64_t i = b * kBlock; i < end; ++i) {
            const float pv = E::load(p[i]);
            psum += static_cast<double>(pv) * pv;
            const float graw = E::load(g[i]);
            float u2;
            if (plan.state_bits == 32) {
                const float m = static_cast<const float*>(t.state1)[i];
                const float v = two_state(R) ? static_cast<const float*>(t.state2)[i] : 0.0f;
                u2 = unorm_term32<R, Rnd>(s, t.k, gs, graw, m, v);
            } else {
                const float m = plan.qmap1[static_cast<const uint8_t*>(t.state1)[i]] * t.absmax1[b];
                const float v =
                    two_state(R) ? plan.qmap2[static_cast<const uint8_t*>(t.state2)[i]] * t.absmax2[b] : 0.0f;
                u2 = unorm_term8<R>(s, t.k, gs, graw, m, v);
            }
            usum += static_cast<double>(u2);
        }
    }

    static void update_block32(const Plan& plan, const TensorPlan& t, int64_t b, float gs, float us) {
        T* p = static_cast<T*>(t.p);
        const T* g = static_cast<const T*>(t.g);
        float* m = static_cast<float*>(t.state1);
        float* v = two_state(R) ? static_cast<float*>(t.state2) : nullptr;
        float* m2 = R == kAdemamix ? m + t.n : nullptr;
        const int64_t end = std::min(t.n, (b + 1) * kBlock);
        for (int64_t i = b * kBlock; i < end; ++i) {
            float pv = E::load(p[i]);
            float mv = m[i];
            float vv = v ? v[i] : 0.0f;
            float m2v = m2 ? m2[i] : 0.0f;
            update32<R, Rnd>(plan.s, t.k, gs, us, E::load(g[i]), pv, mv, vv, m2v);
            p[i] = E::store(pv);
            m[i] = mv;
            if (v) v[i] = vv;
            if (m2) m2[i] = m2v;
        }
    }

    // One state block of 8-bit state: all 256 lanes take part in the absmax (lanes past n with g = 0,
    // p = 0 and the codes upstream's loads default to); only lanes below n are written. The parameter
    // update does not depend on the new absmax, so it runs in the first pass.
    static void update_block8(const Plan& plan, const Tables& tables, const TensorPlan& t, int64_t b, float gs,
                              float us) {
        constexpr bool kTwo = two_state(R);
        constexpr bool kSlow = R == kAdemamix;
        T* p = static_cast<T*>(t.p);
        const T* g = static_cast<const T*>(t.g);
        uint8_t* c1 = static_cast<uint8_t*>(t.state1);
        uint8_t* c2 = kTwo ? static_cast<uint8_t*>(t.state2) : nullptr;
        uint8_t* c3 = kSlow ? c1 + t.n : nullptr;
        const Scalars& s = plan.s;
        const int64_t begin = b * kBlock;
        const int valid = static_cast<int>(std::min<int64_t>(kBlock, t.n - begin));
        const float old1 = t.absmax1[b];
        const float old2 = kTwo ? t.absmax2[b] : 0.0f;
        const float old3 = kSlow ? t.absmax1[t.blocks + b] : 0.0f;

        float m[kBlock], v[kBlock], m2[kBlock];
        float max1 = absmax_init(), max2 = absmax_init(), max3 = absmax_init();
        for (int j = 0; j < kBlock; ++j) {
            const bool real = j < valid;
            const int64_t i = begin + j;
            const float gv = real ? E::load(g[i]) : 0.0f;
            float pv = real ? E::load(p[i]) : 0.0f;
            m[j] = plan.qmap1[real ? c1[i] : kPadCode1] * old1;
            v[j] = kTwo ? plan.qmap2[real ? c2[i] : kPadCode2] * old2 : 0.0f;
            m2[j] = kSlow ? plan.qmap1[real ? c3[i] : kPadCode1] * old3 : 0.0f;
            if (kTwo) {
                const Pending e = stage1_two_state<R>(s, gs, gv, m[j], v[j], m2[j]);
                stage2_two_state<R, Rnd>(s, t.k, us, e, pv, m[j], v[j], m2[j]);
            } else {
                const Pending e = stage1_one_state<R, Rnd>(s, t.k, gs, gv, pv, m[j]);
                stage2_one_state<R, Rnd>(s, t.k, us, e, gv, pv, m[j]);
            }
            if (real) p[i] = E::store(pv);
            max1 = absmax_add(max1, m[j]);
            if (kTwo) max2 = absmax_add(max2, v[j]);
            if (kSlow) max3 = absmax_add(max3, m2[j]);
        }
        t.absmax1[b] = max1;
        if (kTwo) t.absmax2[b] = max2;
        if (kSlow) t.absmax1[t.blocks + b] = max3;
        const float inv1 = 1.0f / max1;
        const float inv2 = 1.0f / max2;
        const float inv3 = 1.0f / max3;
        const TablePivots pv1 = table_pivots(tables.q1);
        const TablePivots pv2 = table_pivots(tables.q2);
        for (int j = 0; j < valid; ++j) {
            const int64_t i = begin + j;
            c1[i] = requantize_signed(tables.q1, pv1, m[j], inv1);
            if (kTwo) c2[i] = requantize_unsigned(tables.q2, pv2, v[j], inv2);
            if (kSlow) c3[i] = requantize_signed(tables.q1, pv1, m2[j], inv3);
        }
    }

    static bnb_status run(const Plan& plan) {
        const size_t count = plan.tensors.size();
        if (count == 0) return BNB_OK;
        const BlockIndex index(plan);
        const Scalars& s = plan.s;
        std::vector<float> gs(count, 1.0f), us(count, 1.0f);
        std::vector<double> sum_a, sum_b;

        if (plan.clip) {
            sum_per_tensor(
                plan, index,
                [](const TensorPlan& t, int64_t b, double& a, double& unused) { gnorm_block(t, b, a, unused); },
                sum_a, sum_b);
            for (size_t i = 0; i < count; ++i) {
                const TensorPlan& t = plan.tensors[i];
                const float norm_sq = static_cast<float>(sum_a[i]);
                const int slot = t.k.step % kHistory;
                if (t.k.step == 1)
                    for (int h = 0; h < kHistory; ++h) t.gnorm[h] = norm_sq;
                else
                    t.gnorm[slot] = norm_sq;
                gs[i] = clip_scale(t.gnorm[slot], sorted_value(t.gnorm, s.percentile));
            }
        }
        if (plan.cap) {
            // The tensor's gnorm_scale, found from the block's tensor by address.
            sum_per_tensor(
                plan, index,
                [&](const TensorPlan& t, int64_t b, double& a, double& c) {
                    unorm_block(plan, gs[static_cast<size_t>(&t - plan.tensors.data())], t, b, a, c);
                },
                sum_a, sum_b);
            for (size_t i = 0; i < count; ++i) {
                const TensorPlan& t = plan.tensors[i];
                t.scratch[0] = static_cast<float>(sum_a[i]);
                t.scratch[1] = static_cast<float>(sum_b[i]);
                // Adagrad and AdEMAMix fill scratch but, as upstream, take no update scale.
                if (R != kAdagrad && R != kAdemamix) us[i] = update_scale(R, s, t.scratch[0], t.scratch[1]);
            }
        }

        Tables tables;
        if (plan.state_bits == 8)
            for (int j = 0; j < 256; ++j) {
                fill_optim_code_table(tables.q1, plan.qmap1, j);
                if (two_state(R)) fill_optim_code_table(tables.q2, plan.qmap2, j);
            }
        bnb::parallel_for(index.total(), kBlocksPerThread, [&](int64_t first, int64_t last) {
            size_t t = index.tensor_of(first);
            for (int64_t block = first; block < last; ++block) {
                while (block >= index.start[t + 1]) ++t;
                const TensorPlan& tp = plan.tensors[t];
                const int64_t b = block - index.start[t];
                if (plan.state_bits == 32)
                    update_block32(plan, tp, b, gs[t], us[t]);
                else
                    update_block8(plan, tables, tp, b, gs[t], us[t]);
            }
        });
        return BNB_OK;
    }
};

template <int32_t D>
bnb_status run_rule(const Plan& plan) {
    switch (plan.rule) {
        case kAdam: return Kernels<kAdam, D>::run(plan);
        case kAdemamix: return Kernels<kAdemamix, D>::run(plan);
        case kMomentum: return Kernels<kMomentum, D>::run(plan);
        case kRmsprop: return Kernels<kRmsprop, D>::run(plan);
        case kAdagrad: return Kernels<kAdagrad, D>::run(plan);
        case kLion: return Kernels<kLion, D>::run(plan);
        default: return BNB_FAIL(BNB_ERR_INTERNAL, "unknown optimizer rule %d", plan.rule);
    }
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_optimizer_step(int32_t optimizer, int32_t param_dtype, int32_t state_bits,
                                                     const bnb_optim_tensors* tensors, const float* qmap1,
                                                     const float* qmap2, const bnb_optim_hparams* hparams) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_optimizer_step";
        Plan plan;
        BNB_TRY(plan_optimizer_step(function, optimizer, param_dtype, state_bits, tensors, qmap1, qmap2, hparams,
                                    &plan));
        return bnb::dispatch_float_dtype(function, param_dtype, [&](auto tag) -> bnb_status {
            return run_rule<decltype(tag)::value>(plan);
        });
    });
}
