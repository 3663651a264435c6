// The update-norm cap and percentile clipping of an optimizer step (part of common/optim_math.h).
#pragma once

#include "common/optim/scalars.h"

namespace bnb {
namespace optim {

// ---- update-norm cap and percentile clipping -------------------------------------------------------

// u_s from the sums of u^2 and p^2 (as stored in scratch[0], scratch[1]). Upstream: 2-state compares
// sqrt(unorm) with max_unorm * ||p||, 1-state with max_unorm * ||p|| + eps.
BNB_HD inline float update_scale(int rule, const Scalars& s, float unorm_sum, float pnorm_sum) {
    if (!(s.max_unorm > 0.0f)) return 1.0f;
    const float unorm = sqrtf(unorm_sum);
    const float pnorm = sqrtf(pnorm_sum);
    float limit = s.max_unorm * pnorm;
    if (!two_state(rule)) limit = limit + s.eps;
    return unorm > limit ? limit / unorm : 1.0f;
}

// Ascending order with NaN last (torch.sort); equal values keep their index order.
BNB_HD inline bool sorts_before(float a, float b) { return !is_nan(a) && (is_nan(b) || a < b); }

// Position of h[i] in the stable ascending sort of h[0..count).
BNB_HD inline int sorted_rank(const float* h, int count, int i) {
    int rank = 0;
    for (int j = 0; j < count; ++j) rank += sorts_before(h[j], h[i]) || (j < i && !sorts_before(h[i], h[j]));
    return rank;
}

// sort(h)[k] of the history h[0..kHistory).
BNB_HD inline float sorted_value(const float* h, int k) {
    for (int i = 0; i < kHistory; ++i)
        if (sorted_rank(h, kHistory, i) == k) return h[i];
    return h[0];  // unreachable: the ranks are a permutation
}

// gnorm_scale of spec §3.18 from the squared norm of this step and the percentile-th smallest squared
// norm of the history: clip / current when current > clip, else 1.
BNB_HD inline float clip_scale(float current_sq, float kth_sq) {
    const float current = sqrtf(current_sq);
    const float clip = sqrtf(kth_sq);
    return current > clip ? clip / current : 1.0f;
}

}  // namespace optim
}  // namespace bnb
