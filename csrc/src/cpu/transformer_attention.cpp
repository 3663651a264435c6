// Causal grouped-query attention on the host (bnb/transformer.h): one task per (batch, query, head),
// scores, softmax and the weighted sum of values in f32.
#include <math.h>

#include <vector>

#include "common/transformer_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kElementsPerThread = int64_t{1} << 14;

// out[0 .. d) for one query: softmax(scale * q . k_j) over j <= last, applied to v_j. k and v point at
// position 0 of the query's kv head; consecutive positions are row apart. scores: scratch of last + 1.
template <typename E>
void attend(const typename E::type* q, const typename E::type* k, const typename E::type* v, int64_t row,
            int64_t last, int64_t d, float scale, float* scores, float* acc, typename E::type* out) {
    float max = -INFINITY;
    for (int64_t j = 0; j <= last; ++j) {
        float dot = 0.0f;
        for (int64_t e = 0; e < d; ++e) dot += E::load(q[e]) * E::load(k[j * row + e]);
        scores[j] = dot * scale;
        max = fmaxf(max, scores[j]);
    }
    float sum = 0.0f;
    for (int64_t e = 0; e < d; ++e) acc[e] = 0.0f;
    for (int64_t j = 0; j <= last; ++j) {
        const float p = expf(scores[j] - max);
        sum += p;
        for (int64_t e = 0; e < d; ++e) acc[e] += p * E::load(v[j * row + e]);
    }
    for (int64_t e = 0; e < d; ++e) out[e] = E::store(acc[e] / sum);
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_attention(int32_t dtype, const void* q, const void* k, const void* v, void* out,
                                                int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads,
                                                int64_t d, int64_t kv_len, int64_t kv_stride, float scale,
                                                float* workspace, int64_t workspace_len) {
    (void)workspace;  // only the GPU splits a query's positions over several blocks
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_attention", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            using V = typename E::type;
            BNB_TRY(bnb::check_attention(batch, T, q_heads, kv_heads, d, kv_len, kv_stride, scale, workspace_len));
            if (batch == 0 || T == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(q);
            BNB_CHECK_NOT_NULL(k);
            BNB_CHECK_NOT_NULL(v);
            BNB_CHECK_NOT_NULL(out);
            auto qs = static_cast<const V*>(q);
            auto ks = static_cast<const V*>(k);
            auto vs = static_cast<const V*>(v);
            auto o = static_cast<V*>(out);
            const int64_t group = q_heads / kv_heads;
            const int64_t row = kv_heads * d;  // elements between consecutive positions of k and v
            const int64_t tasks = batch * T * q_heads;
            bnb::parallel_for(tasks, std::max<int64_t>(1, kElementsPerThread / (kv_len * d)),
                              [&](int64_t first, int64_t last) {
                                  std::vector<float> scores(static_cast<size_t>(kv_len));
                                  std::vector<float> acc(static_cast<size_t>(d));
                                  for (int64_t task = first; task < last; ++task) {
                                      const int64_t h = task % q_heads;
                                      const int64_t t = task / q_heads % T;
                                      const int64_t b = task / (q_heads * T);
                                      const int64_t kv = (b * kv_stride * kv_heads + h / group) * d;
                                      attend<E>(qs + task * d, ks + kv, vs + kv, row, kv_len - T + t, d, scale,
                                                scores.data(), acc.data(), o + task * d);
                                  }
                              });
            return BNB_OK;
        });
    });
}
