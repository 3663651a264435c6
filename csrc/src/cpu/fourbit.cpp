// NF4/FP4 blockwise quantization on the host, bit for bit what upstream's CUDA kernels (and ours,
// cuda/quant/fourbit.cu) compute.
#include <float.h>
#include <math.h>

#include <algorithm>

#include "common/fourbit_args.h"
#include "cpu/elements.h"
#include "cpu/fourbit_scales.h"
#include "cpu/parallel.h"

namespace {

// Threads pay off from about this many values.
constexpr int64_t kValuesPerThread = int64_t{1} << 16;

int64_t blocks_per_thread(int64_t blocksize) { return std::max<int64_t>(1, kValuesPerThread / blocksize); }

template <int32_t D>
void quantize_blocks(const bnb::FourBitCode& code, const typename bnb::CpuElement<D>::type* a, float* absmax,
                     uint8_t* packed, int64_t blocksize, int64_t n, int64_t first_block, int64_t last_block) {
    using E = bnb::CpuElement<D>;
    for (int64_t b = first_block; b < last_block; ++b) {
        const int64_t begin = b * blocksize;
        const int64_t end = std::min(n, begin + blocksize);
        // Upstream reduces from -FLT_MAX over the block, where a short last block is padded with zeros
        // (so only a whole block of NaN keeps -FLT_MAX); fmaxf ignores NaN.
        float max_abs = end - begin < blocksize ? 0.0f : -FLT_MAX;
        for (int64_t i = begin; i < end; ++i) max_abs = fmaxf(max_abs, fabsf(E::load(a[i])));
        absmax[b] = max_abs;
        const float scale = 1.0f / max_abs;  // inf for a zero block: 0 * inf is NaN, whose code is 0
        // begin is even (blocksize is), so the block's values fill whole bytes; an odd n pads the last
        // low nibble with the code of 0.0, as upstream's kernels load a 0 there.
        for (int64_t i = begin; i < end; i += 2) {
            const uint32_t high = code.quantize(E::load(a[i]) * scale);
            const uint32_t low = code.quantize((i + 1 < end ? E::load(a[i + 1]) : 0.0f) * scale);
            packed[i / 2] = static_cast<uint8_t>(high << 4 | low);
        }
    }
}

template <int32_t D, typename Scales>
void dequantize_blocks(const bnb::FourBitCode& code, const uint8_t* packed, const Scales& scales,
                       typename bnb::CpuElement<D>::type* out, int64_t blocksize, int64_t n, int64_t first_block,
                       int64_t last_block) {
    using E = bnb::CpuElement<D>;
    for (int64_t b = first_block; b < last_block; ++b) {
        const int64_t begin = b * blocksize;
        const int64_t end = std::min(n, begin + blocksize);
        const float scale = scales(b);
        for (int64_t i = begin; i < end; ++i) {
            const uint32_t byte = packed[i / 2];
            out[i] = E::store(code.values[i % 2 == 0 ? byte >> 4 : byte & 15u] * scale);
        }
    }
}

template <int32_t D, typename Scales>
bnb_status dequantize(int32_t quant_type, const uint8_t* packed, const Scales& scales, void* out, int64_t blocksize,
                      int64_t n) {
    bnb::FourBitCode code;
    code.fill(quant_type);
    auto o = static_cast<typename bnb::CpuElement<D>::type*>(out);
    bnb::parallel_for(bnb::four_bit_blocks(n, blocksize), blocks_per_thread(blocksize),
                      [&](int64_t first, int64_t last) {
                          dequantize_blocks<D>(code, packed, scales, o, blocksize, n, first, last);
                      });
    return BNB_OK;
}

}  // namespace

extern "C" BNB_API bnb_status bnb_cpu_quantize_4bit(int32_t dtype, int32_t quant_type, const void* A, float* absmax,
                                                    uint8_t* packed, int64_t blocksize, int64_t n) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_quantize_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            constexpr int32_t D = decltype(tag)::value;
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(A);
            BNB_CHECK_NOT_NULL(absmax);
            BNB_CHECK_NOT_NULL(packed);
            bnb::FourBitCode code;
            code.fill(quant_type);
            auto a = static_cast<const typename bnb::CpuElement<D>::type*>(A);
            bnb::parallel_for(bnb::four_bit_blocks(n, blocksize), blocks_per_thread(blocksize),
                              [&](int64_t first, int64_t last) {
                                  quantize_blocks<D>(code, a, absmax, packed, blocksize, n, first, last);
                              });
            return BNB_OK;
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_dequantize_4bit(int32_t dtype, int32_t quant_type, const uint8_t* packed,
                                                      const float* absmax, void* out, int64_t blocksize, int64_t n) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_dequantize_4bit";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(packed);
            BNB_CHECK_NOT_NULL(absmax);
            BNB_CHECK_NOT_NULL(out);
            return dequantize<decltype(tag)::value>(quant_type, packed, bnb::PlainScales{absmax}, out, blocksize, n);
        });
    });
}

extern "C" BNB_API bnb_status bnb_cpu_dequantize_4bit_nested(int32_t dtype, int32_t quant_type,
                                                             const uint8_t* packed,
                                                             const bnb_4bit_nested_absmax* absmax, void* out,
                                                             int64_t blocksize, int64_t n) {
    return BNB_GUARD({
        const char* function = "bnb_cpu_dequantize_4bit_nested";
        return bnb::dispatch_float_dtype(function, dtype, [&](auto tag) -> bnb_status {
            BNB_TRY(bnb::check_quant_type(function, quant_type));
            BNB_TRY(bnb::check_four_bit_blocksize(function, blocksize));
            BNB_CHECK_COUNT(n);
            if (n == 0) return BNB_OK;
            BNB_CHECK_NOT_NULL(packed);
            BNB_TRY(bnb::check_nested_absmax(function, absmax));
            BNB_CHECK_NOT_NULL(out);
            return dequantize<decltype(tag)::value>(quant_type, packed, bnb::NestedScales(*absmax), out, blocksize,
                                                    n);
        });
    });
}
