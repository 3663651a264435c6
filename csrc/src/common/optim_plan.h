// Argument checks of bnb_{cpu,cuda}_optimizer_step (bnb/optim.h), shared by both backends, and the plan
// they produce:
// everything is validated before anything is written, so a rejected call changes nothing.
#pragma once

#include <stdint.h>

#include <vector>

#include "common/arg_checks.h"
#include "common/dtype_dispatch.h"
#include "common/optim_math.h"

namespace bnb {
namespace optim {

// One tensor with elements (tensors with numel 0 are dropped from the plan: they have nothing to do).
struct TensorPlan {
    void* p;
    const void* g;
    void* state1;
    void* state2;
    float* absmax1;
    float* absmax2;
    float* scratch;
    float* gnorm;
    int64_t n;
    int64_t blocks;  // ceil(n / kBlock)
    StepConstants k;
};

struct Plan {
    int rule;  // Rule
    int32_t dtype;
    int32_t state_bits;
    Scalars s;
    bool clip;  // percentile < 100
    bool cap;   // max_unorm > 0
    const float* qmap1;
    const float* qmap2;
    std::vector<TensorPlan> tensors;
};

inline const char* optimizer_name(int32_t optimizer) {
    switch (optimizer) {
        case BNB_OPTIM_ADAM: return "ADAM";
        case BNB_OPTIM_MOMENTUM: return "MOMENTUM";
        case BNB_OPTIM_RMSPROP: return "RMSPROP";
        case BNB_OPTIM_LARS: return "LARS";
        case BNB_OPTIM_ADAGRAD: return "ADAGRAD";
        case BNB_OPTIM_LION: return "LION";
        case BNB_OPTIM_ADEMAMIX: return "ADEMAMIX";
        case BNB_OPTIM_LAMB: return "LAMB";
        default: return "unknown";
    }
}

// The rule of an optimizer kind; BNB_ERR_UNSUPPORTED for a value that is none of BNB_OPTIM_*.
inline bnb_status rule_of(const char* function, int32_t optimizer, int* rule) {
    switch (optimizer) {
        case BNB_OPTIM_ADAM: *rule = kAdam; return BNB_OK;
        case BNB_OPTIM_LAMB: *rule = kAdam; return BNB_OK;
        case BNB_OPTIM_ADEMAMIX: *rule = kAdemamix; return BNB_OK;
        case BNB_OPTIM_MOMENTUM: *rule = kMomentum; return BNB_OK;
        case BNB_OPTIM_LARS: *rule = kMomentum; return BNB_OK;
        case BNB_OPTIM_RMSPROP: *rule = kRmsprop; return BNB_OK;
        case BNB_OPTIM_ADAGRAD: *rule = kAdagrad; return BNB_OK;
        case BNB_OPTIM_LION: *rule = kLion; return BNB_OK;
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                            "%s: optimizer %d is not supported; allowed: %d (ADAM), %d (MOMENTUM), %d (RMSPROP), "
                            "%d (LARS), %d (ADAGRAD), %d (LION), %d (ADEMAMIX), %d (LAMB)",
                            function, optimizer, BNB_OPTIM_ADAM, BNB_OPTIM_MOMENTUM, BNB_OPTIM_RMSPROP, BNB_OPTIM_LARS,
                            BNB_OPTIM_ADAGRAD, BNB_OPTIM_LION, BNB_OPTIM_ADEMAMIX, BNB_OPTIM_LAMB);
    }
}

// Validates every argument of an optimizer step and fills plan. Reads the host structs and arrays only.
inline bnb_status plan_optimizer_step(const char* function, int32_t optimizer, int32_t param_dtype,
                                      int32_t state_bits, const bnb_optim_tensors* tensors, const float* qmap1,
                                      const float* qmap2, const bnb_optim_hparams* hparams, Plan* plan) {
    BNB_CHECK_ARG(tensors != nullptr, "%s: tensors must not be NULL", function);
    BNB_CHECK_ARG(hparams != nullptr, "%s: hparams must not be NULL", function);
    const int32_t count = tensors->count;
    const int64_t* p = tensors->p;
    const int64_t* g = tensors->g;
    const int64_t* state1 = tensors->state1;
    const int64_t* state2 = tensors->state2;
    const int64_t* absmax1 = tensors->absmax1;
    const int64_t* absmax2 = tensors->absmax2;
    const int64_t* scratch = tensors->scratch;
    const int64_t* gnorm = tensors->gnorm;
    const int64_t* numel = tensors->numel;
    const int32_t* step = tensors->step;
    const int32_t percentile = hparams->percentile;
    const float max_unorm = hparams->max_unorm;
    const char* name = optimizer_name(optimizer);
    BNB_TRY(rule_of(function, optimizer, &plan->rule));
    switch (param_dtype) {
        case BNB_F32:
        case BNB_F16:
        case BNB_BF16: break;
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED,
                            "%s: param_dtype %d (%s) is not supported; allowed: %d (BNB_F32), %d (BNB_F16), "
                            "%d (BNB_BF16)",
                            function, param_dtype, dtype_name(param_dtype), BNB_F32, BNB_F16, BNB_BF16);
    }
    switch (state_bits) {
        case 32:
        case 8: break;
        default:
            return BNB_FAIL(BNB_ERR_UNSUPPORTED, "%s: state_bits %d is not supported; allowed: 32, 8", function,
                            state_bits);
    }
    BNB_CHECK_ARG(count >= 0, "%s: count must be >= 0, got %d", function, count);
    BNB_CHECK_ARG(percentile >= 1 && percentile <= 100, "%s: percentile must be in [1, 100], got %d", function,
                  percentile);
    BNB_CHECK_ARG(max_unorm >= 0.0f, "%s: max_unorm must be >= 0 (0 disables the cap), got %g", function,
                  static_cast<double>(max_unorm));
    const bool eight = state_bits == 8;
    const bool two = two_state(plan->rule);
    plan->dtype = param_dtype;
    plan->state_bits = state_bits;
    plan->s = make_scalars(*hparams);
    plan->clip = percentile < 100;
    plan->cap = max_unorm > 0.0f;
    plan->qmap1 = eight ? qmap1 : nullptr;
    plan->qmap2 = eight && two ? qmap2 : nullptr;
    plan->tensors.clear();
    if (count == 0) return BNB_OK;

    // The arrays a call of this kind reads.
    struct Need {
        const char* what;
        const int64_t* array;
        bool needed;
        const char* because;
    };
    const Need arrays[] = {
        {"p", p, true, ""},
        {"g", g, true, ""},
        {"state1", state1, true, ""},
        {"state2", state2, two, ""},
        {"absmax1", absmax1, eight, ""},
        {"absmax2", absmax2, eight && two, ""},
        {"scratch", scratch, plan->cap, " and max_unorm > 0"},
        {"gnorm", gnorm, plan->clip, " and percentile < 100"},
    };
    for (const Need& a : arrays)
        BNB_CHECK_ARG(!a.needed || a.array != nullptr, "%s: the %s array must not be NULL for %s with %d-bit state%s",
                      function, a.what, name, state_bits, a.because);
    BNB_CHECK_ARG(numel != nullptr, "%s: the numel array must not be NULL", function);
    BNB_CHECK_ARG(step != nullptr, "%s: the step array must not be NULL", function);
    if (eight) {
        BNB_CHECK_ARG(qmap1 != nullptr, "%s: qmap1 must not be NULL with 8-bit state", function);
        BNB_CHECK_ARG(!two || qmap2 != nullptr, "%s: qmap2 must not be NULL for %s with 8-bit state", function, name);
    }

    plan->tensors.reserve(static_cast<size_t>(count));
    for (int32_t i = 0; i < count; ++i) {
        const int64_t n = numel[i];
        BNB_CHECK_ARG(n >= 0, "%s: numel[%d] must be >= 0, got %lld", function, i, static_cast<long long>(n));
        BNB_CHECK_ARG(n <= (INT64_MAX / 4), "%s: numel[%d] = %lld is too large", function, i,
                      static_cast<long long>(n));
        BNB_CHECK_ARG(step[i] >= 1, "%s: step[%d] must be >= 1, got %d", function, i, step[i]);
        if (n == 0) continue;
        for (const Need& a : arrays)
            BNB_CHECK_ARG(!a.needed || a.array[i] != 0, "%s: %s[%d] must not be 0 for %s with %d-bit state%s "
                          "(tensor %d has %lld elements)", function, a.what, i, name, state_bits, a.because, i,
                          static_cast<long long>(n));
        TensorPlan t;
        auto address = [i](const int64_t* array) -> void* {
            return array ? reinterpret_cast<void*>(static_cast<intptr_t>(array[i])) : nullptr;
        };
        t.p = address(p);
        t.g = address(g);
        t.state1 = address(state1);
        t.state2 = two ? address(state2) : nullptr;
        t.absmax1 = eight ? static_cast<float*>(address(absmax1)) : nullptr;
        t.absmax2 = eight && two ? static_cast<float*>(address(absmax2)) : nullptr;
        t.scratch = plan->cap ? static_cast<float*>(address(scratch)) : nullptr;
        t.gnorm = plan->clip ? static_cast<float*>(address(gnorm)) : nullptr;
        t.n = n;
        t.blocks = (n - 1) / kBlock + 1;
        t.k = step_constants(plan->s, step[i]);
        plan->tensors.push_back(t);
    }
    return BNB_OK;
}

}  // namespace optim
}  // namespace bnb
