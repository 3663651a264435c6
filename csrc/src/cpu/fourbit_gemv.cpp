// The 4-bit matrix-vector product on the host: out[m, n] = A[m, k] * dequant(W)[n, k]^T (+ bias), reading
// the packed weight once, in f32.
#include <algorithm>
#include <vector>

#include "common/fourbit_args.h"
#include "cpu/elements.h"
#include "cpu/fourbit_scales.h"
#include "cpu/parallel.h"

namespace {

// Output rows per thread slice: enough work to pay for a thread.
constexpr int64_t kWeightValuesPerThread = int64_t{1} << 16;

// Rows [first, last) of the output, for every one of the m input rows. a is A converted to f32.
template <int32_t D, typename Scales>
void gemv_rows(const bnb::FourBitCode& code, const float* a, const uint8_t* packed, const Scales& scales,
               const typename bnb::CpuElement<D>::type* bias, typename bnb::CpuElement<D>::type* out, int64_t m,
               int64_t n, int64_t k, int64_t blocksize, int64_t first, int64_t last) {
    using E = bnb::CpuElement<D>;
    float acc[BNB_GEMV_4BIT_MAX_ROWS];
    for (int64_t row = first; row < last; ++row) {
        std::fill(acc, acc + m, 0.0f);
        const int64_t row_start = row * k;  // value index of W[row, 0]
        for (int64_t kk = 0; kk < k;) {
            // One stretch of the row inside one quantization block: one scale.
            const int64_t block = (row_start + kk) / blocksize;
            const int64_t stretch_end = std::min(k, (block + 1) * blocksize - row_start);
            const float scale = scales(block);
            for (; kk < stretch_end; ++kk) {
                const int64_t v = row_start + kk;
                const uint32_t byte = packed[v / 2];
                const float w = code.values[v % 2 == 0 ? byte >> 4 : byte & 15u] * scale;
                for (int64_t i = 0; i < m; ++i) acc[i] += a[i * k + kk] * w;
            }
        }
        const float b = bias != nullptr ? E::load(bias[row]) : 0.0f;
        for (int64_t i = 0; i < m; ++i) out[i * n + row] = E::store(acc[i] + b);
    }
}

template <int32_t D, typename Scales>
bnb_status gemv(int32_t quant_type, const void* A, const uint8_t* packed, const Scales& scales, const void* bias,
                void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize) {
    using E = bnb::CpuElement<D>;
    bnb::FourBitCode code;
    code.fill(quant_type);
    std::vector<float> a(static_cast<size_t>(m * k));
    auto a_in = static_cast<const typename E::type*>(A);
    for (int64_t i = 0; i < m * k; ++i) a[static_cast<size_t>(i)] = E::load(a_in[i]);
    auto b = static_cast<const typename E::type*>(bias);
    auto o = static_cast<typename E::type*>(out);
    const int64_t rows_per_thread = std::max<int64_t>(1, kWeightValuesPerThread / std::max<int64_t>(1, k));
    bnb::parallel_for(n, rows_per_thread, [&](int64_t first, int64_t last) {
        gemv_rows<D>(code, a.data(), packed, scales, b, o, m, n, k, blocksize, first, last);
    });
    return BNB_OK;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_gemv_4bit(int32_t dtype, int32_t quant_type, const void* A,
                                                const uint8_t* packed, const float* absmax, const void* bias,
                                                void* out, int64_t m, int64_t n, int64_t k, int64_t blocksize) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_gemv_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_CHECK_NOT_NULL(absmax);
            return gemv<decltype(tag)::value>(quant_type, A, packed, bnb::PlainScales{absmax}, bias, out, m, n, k,
                                              blocksize);
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_gemv_4bit_nested(int32_t dtype, int32_t quant_type, const void* A,
                                                       const uint8_t* packed, const bnb_4bit_nested_absmax* absmax,
                                                       const void* bias, void* out, int64_t m, int64_t n, int64_t k,
                                                       int64_t blocksize) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_gemv_4bit_nested";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            BNB_CHECK_GEMV_4BIT_ARGS(function, quant_type, blocksize, A, packed, out, m, n, k);
            BNB_TRY(bnb::check_nested_absmax(function, absmax));
            return gemv<decltype(tag)::value>(quant_type, A, packed, bnb::NestedScales(*absmax), bias, out, m, n, k,
                                              blocksize);
        });
    });
}
