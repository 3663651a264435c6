// The int8 GEMM of LLM.int8() on the host, and the fused dequantization of its int32 product (bit for bit
// what cuda/int8/mm_dequant.cu computes).
#include <algorithm>

#include "common/int8_checks.h"
#include "common/int8_math.h"
#include "cpu/elements.h"
#include "cpu/parallel.h"

namespace {

// C tiles of kTile x kTile: each k loads kTile bytes of A and of B for kTile^2 products, in registers
// (about 14 GMAC/s per core with plain SSE2 code from GCC, against 7 for one dot product at a time).
constexpr int kTile = 4;
// B rows per work item: 64 rows of K bytes stay in L2 while the item walks down the rows of A.
constexpr int64_t kBRowsPerItem = 64;

// C[i, j] of the MR x NR tile at A rows a, B rows b: sums of products in uint32_t, so that a K too long
// for int32 wraps (defined) instead of overflowing.
template <int MR, int NR>
void gemm_tile(const int8_t* a, const int8_t* b, int64_t K, int32_t* c, int64_t ldc) {
    uint32_t sum[MR][NR] = {};
    for (int64_t k = 0; k < K; ++k) {
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
            for (int j = 0; j < NR; ++j) sum[i][j] += static_cast<uint32_t>(a[i * K + k] * b[j * K + k]);
    }
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) c[i * ldc + j] = static_cast<int32_t>(sum[i][j]);
}

using TileFn = void (*)(const int8_t*, const int8_t*, int64_t, int32_t*, int64_t);

// gemm_tile<MR, NR> for 1 <= MR, NR <= kTile: the full tile and the edges of M and N.
template <int MR>
struct TileRow {
    static constexpr TileFn fns[kTile] = {gemm_tile<MR, 1>, gemm_tile<MR, 2>, gemm_tile<MR, 3>, gemm_tile<MR, 4>};
};

TileFn tile_for(int64_t mr, int64_t nr) {
    switch (mr) {
        case 1: return TileRow<1>::fns[nr - 1];
        case 2: return TileRow<2>::fns[nr - 1];
        case 3: return TileRow<3>::fns[nr - 1];
        default: return TileRow<4>::fns[nr - 1];
    }
}

// C rows [m0, m0 + mr) x columns [n0, n1).
void gemm_block(const int8_t* A, const int8_t* B, int32_t* C, int64_t N, int64_t K, int64_t m0, int64_t mr,
                int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; n += kTile) {
        const int64_t nr = std::min<int64_t>(kTile, n1 - n);
        tile_for(mr, nr)(A + m0 * K, B + n * K, K, C + m0 * N + n, N);
    }
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_int8_gemm(const int8_t* A, const int8_t* B, int32_t* C, int64_t M, int64_t N,
                                                int64_t K) {
    return BNB_GUARD({
        BNB_CHECK_MATRIX(M, K);
        BNB_CHECK_MATRIX(N, K);
        BNB_CHECK_MATRIX(M, N);
        if (M == 0 || N == 0) return BNB_OK;
        BNB_CHECK_NOT_NULL(C);
        if (K > 0) {
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(B);
        }
        const int64_t m_blocks = (M + kTile - 1) / kTile;
        const int64_t n_blocks = (N + kBRowsPerItem - 1) / kBRowsPerItem;
        // Items walk down A for one chunk of B; an item holds kTile * kBRowsPerItem * K products.
        const int64_t min_items =
            std::max<int64_t>(1, (int64_t{1} << 22) / (kTile * kBRowsPerItem * std::max<int64_t>(1, K)));
        bnb::parallel_for(m_blocks * n_blocks, min_items, [&](int64_t first, int64_t last) {
            for (int64_t item = first; item < last; ++item) {
                const int64_t m0 = (item % m_blocks) * kTile;
                const int64_t n0 = (item / m_blocks) * kBRowsPerItem;
                gemm_block(A, B, C, N, K, m0, std::min<int64_t>(kTile, M - m0), n0, std::min(N, n0 + kBRowsPerItem));
            }
        });
        return BNB_OK;
    });
}

extern "C" BNB_API bnb_status bnb_cpu_int8_mm_dequant(int32_t dtype, const int32_t* C, const float* row_stats,
                                                      const float* col_stats, const void* bias, void* out, int64_t M,
                                                      int64_t N) {
    return BNB_GUARD({
        return bnb::dispatch_float_dtype("bnb_cpu_int8_mm_dequant", dtype, [&](auto tag) -> bnb_status {
            using E = bnb::CpuElement<decltype(tag)::value>;
            BNB_CHECK_MATRIX(M, N);
            if (M == 0 || N == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(C);
            BNB_CHECK_NOT_NULL(row_stats);
            BNB_CHECK_NOT_NULL(col_stats);
            BNB_CHECK_NOT_NULL(out);
            auto b = static_cast<const typename E::type*>(bias);
            auto o = static_cast<typename E::type*>(out);
            bnb::parallel_for(M, std::max<int64_t>(1, (int64_t{1} << 16) / N), [&](int64_t first, int64_t last) {
                for (int64_t m = first; m < last; ++m)
                    for (int64_t n = 0; n < N; ++n)
                        o[m * N + n] = E::store(bnb::int8_mm_dequant_value(C[m * N + n], row_stats[m], col_stats[n],
                                                                           b ? E::load(b[n]) : 0.0f));
            });
            return BNB_OK;
        });
    });
}
