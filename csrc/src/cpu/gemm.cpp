// Dense GEMM on the host (bnb/gemm.h): f32 accumulation over K blocks in a fixed order, so the result is
// the same whatever the number of threads; tiles of op(A) and op(B) are converted to f32 once per block.
#include <math.h>

#include <algorithm>
#include <vector>

#include "bnb/gemm.h"
#include "common/arg_checks.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

constexpr int64_t kRowTile = 32;     // rows of out per task
constexpr int64_t kColTile = 256;    // columns of out per task (the packed B block: kDepth x kColTile f32)
constexpr int64_t kDepth = 256;      // K per block
constexpr int64_t kMinTaskFlops = int64_t{1} << 18;  // below this a task is not worth a thread

template <int32_t D>
struct Gemm {
    using E = bnb::CpuElement<D>;
    using T = typename E::type;
    const bnb_gemm_desc& d;
    const T* a;
    const T* b;
    const T* bias;
    T* out;

    float load_a(int64_t row, int64_t k) const {
        return E::load(d.trans_a ? a[k * d.lda + row] : a[row * d.lda + k]);
    }
    float load_b(int64_t k, int64_t col) const {
        return E::load(d.trans_b ? b[col * d.ldb + k] : b[k * d.ldb + col]);
    }

    // out[r0:r1, c0:c1] for one task; acc, pa, pb are the task's f32 scratch tiles.
    void tile(int64_t r0, int64_t r1, int64_t c0, int64_t c1, std::vector<float>& acc, std::vector<float>& pa,
              std::vector<float>& pb) const {
        const int64_t rows = r1 - r0, cols = c1 - c0;
        std::fill(acc.begin(), acc.begin() + rows * kColTile, 0.0f);
        for (int64_t k0 = 0; k0 < d.K; k0 += kDepth) {
            const int64_t depth = std::min(kDepth, d.K - k0);
            for (int64_t k = 0; k < depth; ++k)
                for (int64_t c = 0; c < cols; ++c) pb[k * kColTile + c] = load_b(k0 + k, c0 + c);
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t k = 0; k < depth; ++k) pa[r * kDepth + k] = load_a(r0 + r, k0 + k);
            for (int64_t r = 0; r < rows; ++r) {
                float* acc_row = &acc[r * kColTile];
                for (int64_t k = 0; k < depth; ++k) {
                    const float x = pa[r * kDepth + k];
                    const float* b_row = &pb[k * kColTile];
                    for (int64_t c = 0; c < cols; ++c) acc_row[c] += x * b_row[c];
                }
            }
        }
        for (int64_t r = 0; r < rows; ++r) {
            T* o = out + (r0 + r) * d.ldo + c0;
            for (int64_t c = 0; c < cols; ++c) {
                float v = d.alpha * acc[r * kColTile + c];
                if (d.beta != 0.0f) v += d.beta * E::load(o[c]);
                if (bias != nullptr) v += E::load(bias[c0 + c]);
                o[c] = E::store(v);
            }
        }
    }

    void run() const {
        const int64_t row_tiles = (d.M + kRowTile - 1) / kRowTile;
        const int64_t col_tiles = (d.N + kColTile - 1) / kColTile;
        const int64_t task_flops = std::max<int64_t>(1, std::min(d.M, kRowTile) * std::min(d.N, kColTile) *
                                                            std::max<int64_t>(d.K, 1));
        bnb::parallel_for(row_tiles * col_tiles, std::max<int64_t>(1, kMinTaskFlops / task_flops),
                          [&](int64_t first, int64_t last) {
                              std::vector<float> acc(kRowTile * kColTile), pa(kRowTile * kDepth),
                                  pb(kDepth * kColTile);
                              for (int64_t t = first; t < last; ++t) {
                                  const int64_t r0 = (t / col_tiles) * kRowTile, c0 = (t % col_tiles) * kColTile;
                                  tile(r0, std::min(d.M, r0 + kRowTile), c0, std::min(d.N, c0 + kColTile), acc,
                                       pa, pb);
                              }
                          });
    }
};

bnb_status check_desc(const bnb_gemm_desc* d, const void* A, const void* B, const void* out) {
    BNB_CHECK_NOT_NULL(d);
    BNB_CHECK_ARG(d->trans_a == 0 || d->trans_a == 1, "trans_a must be 0 or 1, got %d", d->trans_a);
    BNB_CHECK_ARG(d->trans_b == 0 || d->trans_b == 1, "trans_b must be 0 or 1, got %d", d->trans_b);
    BNB_CHECK_COUNT(d->M);
    BNB_CHECK_COUNT(d->N);
    BNB_CHECK_COUNT(d->K);
    const int64_t lda_min = std::max<int64_t>(1, d->trans_a ? d->M : d->K);
    const int64_t ldb_min = std::max<int64_t>(1, d->trans_b ? d->K : d->N);
    BNB_CHECK_ARG(d->lda >= lda_min, "lda must be >= %lld, got %lld", static_cast<long long>(lda_min),
                  static_cast<long long>(d->lda));
    BNB_CHECK_ARG(d->ldb >= ldb_min, "ldb must be >= %lld, got %lld", static_cast<long long>(ldb_min),
                  static_cast<long long>(d->ldb));
    BNB_CHECK_ARG(d->ldo >= std::max<int64_t>(1, d->N), "ldo must be >= %lld, got %lld",
                  static_cast<long long>(std::max<int64_t>(1, d->N)), static_cast<long long>(d->ldo));
    BNB_CHECK_ARG(isfinite(d->alpha) && isfinite(d->beta), "alpha and beta must be finite, got %g and %g",
                  static_cast<double>(d->alpha), static_cast<double>(d->beta));
    if (d->M == 0 || d->N == 0) return BNB_OK;
    BNB_CHECK_NOT_NULL(out);
    if (d->K > 0) {
        BNB_CHECK_NOT_NULL(A);
        BNB_CHECK_NOT_NULL(B);
    }
    return BNB_OK;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_gemm(const bnb_gemm_desc* desc, const void* A, const void* B, const void* bias,
                                           void* out) {
    return BNB_GUARD({
        BNB_TRY(check_desc(desc, A, B, out));
        if (desc->M == 0 || desc->N == 0) return BNB_OK;
        return bnb::dispatch_float_dtype("bnb_cpu_gemm", desc->dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            using T = typename bnb::CpuElement<D>::type;
            Gemm<D>{*desc, static_cast<const T*>(A), static_cast<const T*>(B), static_cast<const T*>(bias),
                    static_cast<T*>(out)}
                .run();
            return BNB_OK;
        });
    });
}
