// Tests of libbnb_cpu's 4-bit entry points: upstream's reference vectors, an independent model of the
// spec for odd sizes, every dtype and block size, and bad arguments. Usage:
//   bnb_fourbit_cpu_tests [--vectors PATH_TO_bnb-reference-public.safetensors]
// Without --vectors it reads the file of the repository (BNB_REFERENCE_VECTORS, set by CMake).
#include <random>

#include "common/fourbit_codes.h"
#include "common/fourbit_step_table.h"
#include "fourbit_reference.h"
#include "fourbit_vectors.h"
#include "test_util.h"

namespace {

using test::dtype_label;
using test::Random;
using test::quant_label;

const int32_t kDtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
const int32_t kQuantTypes[] = {BNB_QUANT_NF4, BNB_QUANT_FP4};
const int64_t kBlocksizes[] = {32, 64, 128, 256, 512, 1024, 2048, 4096};

// The NF4 step table of the CUDA quantize kernel (common/fourbit_step_table.h): only the bucket of +inf (and
// NaNs) falls back, and the lookup gives the tree's code on every float near a threshold, at both ends and 64
// random points of every bucket (which cover every exponent, ±0, denormals, infinities and NaNs), and on random
// bit patterns and random values in [-1.1, 1.1].
void test_nf4_step_table() {
    using F = bnb::Nf4FullTable;
    std::vector<uint32_t> full(F::kEntries);
    float thresholds[bnb::kNf4Thresholds];
    for (int t = 0; t < bnb::kNf4Thresholds; ++t) thresholds[t] = bnb::four_bit_threshold(BNB_QUANT_NF4, t);
    for (int i = 0; i < F::kEntries; ++i) full[i] = bnb::nf4_full_entry(thresholds, i);
    for (int i = 0; i < F::kEntries; ++i)
        CHECK_OR_RETURN(((full[i] & bnb::kStepValid) == 0) == (i == (0x7f800000 >> F::kOffsetBits)),
                        "full-table entry %d: %08x", i, full[i]);
    std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 1.0f, -1.0f,
                             0.03125f, -0.03125f, 2.0f, -2.0f, 1e30f, -1e30f};
    for (float t : thresholds)
        for (float s : {t, -t}) {
            float up = s, down = s;
            for (int d = 0; d < 64; ++d) {
                xs.push_back(up = nextafterf(up, INFINITY));
                xs.push_back(down = nextafterf(down, -INFINITY));
            }
            xs.push_back(s);
        }
    Random rng(5);
    for (uint32_t i = 0; i < static_cast<uint32_t>(F::kEntries); ++i) {
        const uint32_t low = i << F::kOffsetBits;
        xs.push_back(bnb::bits_float(low));
        xs.push_back(bnb::bits_float(low | F::kOffsetMask));
        for (int r = 0; r < 64; ++r) xs.push_back(bnb::bits_float(low | (rng.bits() & F::kOffsetMask)));
    }
    for (int i = 0; i < 1000000; ++i) xs.push_back(bnb::bits_float(rng.bits()));
    for (int i = 0; i < 1000000; ++i) xs.push_back(rng.uniform(-1.1f, 1.1f));
    for (float x : xs) {
        const uint32_t tree = bnb::quantize_nf4(thresholds, x);
        const uint32_t direct = bnb::quantize_nf4_full(full.data(), thresholds, x);
        CHECK_OR_RETURN(tree == direct, "nf4 full table at %a (bits %08x): %u, tree %u", x, bnb::float_bits(x),
                        direct, tree);
    }
}

// The search of the library against the spec's count of thresholds, on every float near a threshold or a
// code value and on random bit patterns.
void test_search_matches_spec() {
    Random rng(3);
    std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 1.0f, -1.0f};
    for (int32_t qt : kQuantTypes) {
        const int count = qt == BNB_QUANT_NF4 ? bnb::kNf4Thresholds : bnb::kFp4Thresholds;
        for (int i = 0; i < count; ++i) {
            float t = bnb::four_bit_threshold(qt, i);
            for (float s : {t, -t}) {
                float y = s;
                for (int d = 0; d < 4; ++d) {
                    xs.push_back(y);
                    y = nextafterf(y, INFINITY);
                }
                y = s;
                for (int d = 0; d < 4; ++d) xs.push_back(y = nextafterf(y, -INFINITY));
            }
        }
    }
    for (int i = 0; i < 1000000; ++i) xs.push_back(bnb::bits_float(rng.bits()));
    for (int i = 0; i < 1000000; ++i) xs.push_back(rng.uniform(-1.1f, 1.1f));
    bnb::FourBitCode nf4, fp4;
    nf4.fill(BNB_QUANT_NF4);
    fp4.fill(BNB_QUANT_FP4);
    for (float x : xs) {
        CHECK_OR_RETURN(static_cast<int>(nf4.quantize(x)) == test::spec_nf4(x), "nf4(%a) = %u, spec %d", x,
                        nf4.quantize(x), test::spec_nf4(x));
        CHECK_OR_RETURN(static_cast<int>(fp4.quantize(x)) == test::spec_fp4(x), "fp4(%a) = %u, spec %d", x,
                        fp4.quantize(x), test::spec_fp4(x));
    }
    CHECK(nf4.quantize(NAN) == 0 && fp4.quantize(NAN) == 0, "NaN gives code 0");
    CHECK(fp4.quantize(-0.0f) == 0 && fp4.quantize(-1e-30f) == 8, "FP4: -0.0 has no sign bit, a tiny negative has");
    CHECK(nf4.quantize(0.0f) == 7, "NF4: 0.0 is code 7");
    for (int c = 0; c < 16; ++c) {
        CHECK(test::bits_of(nf4.values[c]) == test::bits_of(test::spec_value(BNB_QUANT_NF4, c)), "nf4 value %d", c);
        CHECK(test::bits_of(fp4.values[c]) == test::bits_of(test::spec_value(BNB_QUANT_FP4, c)), "fp4 value %d", c);
        CHECK(nf4.quantize(nf4.values[c]) == static_cast<uint32_t>(c), "nf4 value %d maps back", c);
        if (c != 8) CHECK(fp4.quantize(fp4.values[c]) == static_cast<uint32_t>(c), "fp4 value %d maps back", c);
    }
}

bool same_element(int32_t dtype, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int64_t i) {
    if (dtype == BNB_F32) {
        float x, y;
        memcpy(&x, &a[i * 4], 4);
        memcpy(&y, &b[i * 4], 4);
        return test::same_float(x, y);
    }
    uint16_t x, y;
    memcpy(&x, &a[i * 2], 2);
    memcpy(&y, &b[i * 2], 2);
    return test::same_half_bits(x, y, dtype == BNB_BF16);
}

// Upstream's outputs: packed bytes and absmax exact, dequantized values bit for bit, nested absmax
// undone bit for bit, gemv within the rounding of upstream's 16-bit products.
void test_reference_vectors(const test::ReferenceVectors& ref) {
    const std::vector<float> dynamic = ref.floats("maps.dynamic_signed");
    CHECK_OR_RETURN(dynamic.size() == 256, "maps.dynamic_signed missing");
    int cases = 0;
    for (int32_t dtype : kDtypes) {
        const std::string base = std::string("q4.") + (dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16");
        const char* st_dtype = dtype == BNB_F32 ? "F32" : dtype == BNB_F16 ? "F16" : "BF16";
        const std::vector<uint8_t> input = ref.bytes(base + ".input", st_dtype);
        const int64_t n = static_cast<int64_t>(input.size() / test::dtype_size(dtype));
        CHECK_OR_RETURN(n == 128 * 512, "%s.input has %lld values", base.c_str(), (long long)n);
        for (int32_t qt : kQuantTypes) {
            const std::string prefix = base + "." + quant_label(qt);
            for (int64_t bs : {64, 128, 256}) {
                const std::string key = prefix + ".bs" + std::to_string(bs);
                const std::vector<uint8_t> packed = ref.bytes(key + ".packed", "U8");
                const std::vector<float> absmax = ref.floats(key + ".absmax");
                const std::vector<uint8_t> dequant = ref.bytes(key + ".dequant", st_dtype);
                CHECK_OR_RETURN(packed.size() == size_t(n / 2) && absmax.size() == size_t(n / bs) &&
                                    dequant.size() == input.size(),
                                "%s: reference tensors missing", key.c_str());
                std::vector<float> our_absmax(absmax.size());
                std::vector<uint8_t> our_packed(packed.size()), our_out(input.size());
                CHECK_OK(bnb_cpu_quantize_4bit(dtype, qt, input.data(), our_absmax.data(), our_packed.data(), bs, n));
                // Upstream's build uses --use_fast_math, whose 1/absmax is an approximate reciprocal (within
                // an ulp); ours is IEEE on both backends (docs/DECISIONS.md). A value whose x/absmax is a
                // threshold in exact arithmetic can fall either side: every differing code must be the
                // one that a neighbouring reciprocal gives.
                int ties = 0;
                for (int64_t i = 0; i < n; ++i) {
                    const int ours = test::code_at(our_packed, i), theirs = test::code_at(packed, i);
                    if (ours == theirs) continue;
                    const float x = test::load_value(dtype, input, i), r = 1.0f / absmax[i / bs];
                    bool explained = false;
                    for (float r2 : {nextafterf(r, 0.0f), nextafterf(r, INFINITY)}) {
                        const float y = x * r2;
                        explained |= (qt == BNB_QUANT_NF4 ? test::spec_nf4(y) : test::spec_fp4(y)) == theirs;
                    }
                    CHECK_OR_RETURN(explained, "%s: code %lld is %d, upstream %d", key.c_str(), (long long)i, ours,
                                    theirs);
                    ++ties;
                }
                CHECK(ties <= n / 1000, "%s: %d codes differ from upstream", key.c_str(), ties);
                if (ties > 0)
                    printf("%s: %d of %lld codes fall the other side of a threshold tie\n", key.c_str(), ties,
                           (long long)n);
                for (size_t b = 0; b < absmax.size(); ++b)
                    CHECK_OR_RETURN(test::bits_of(our_absmax[b]) == test::bits_of(absmax[b]),
                                    "%s: absmax[%zu] %a vs %a", key.c_str(), b, our_absmax[b], absmax[b]);
                CHECK_OK(bnb_cpu_dequantize_4bit(dtype, qt, packed.data(), absmax.data(), our_out.data(), bs, n));
                for (int64_t i = 0; i < n; ++i)
                    CHECK_OR_RETURN(same_element(dtype, our_out, dequant, i), "%s: dequant[%lld] differs", key.c_str(),
                                    (long long)i);
                ++cases;
            }
            const std::string nested = prefix + ".nested64";
            const std::vector<uint8_t> packed = ref.bytes(nested + ".packed", "U8");
            const std::vector<uint8_t> codes = ref.bytes(nested + ".absmax_codes", "U8");
            const std::vector<float> absmax2 = ref.floats(nested + ".absmax2");
            const std::vector<float> offset = ref.floats(nested + ".offset");
            const std::vector<uint8_t> dequant = ref.bytes(nested + ".dequant", st_dtype);
            CHECK_OR_RETURN(packed.size() == size_t(n / 2) && codes.size() == size_t(n / 64) && absmax2.size() == 4 &&
                                offset.size() == 1 && dequant.size() == input.size(),
                            "%s: reference tensors missing", nested.c_str());
            bnb_4bit_nested_absmax scales = {codes.data(), dynamic.data(), absmax2.data(), offset.data()};
            std::vector<uint8_t> our_out(input.size());
            CHECK_OK(bnb_cpu_dequantize_4bit_nested(dtype, qt, packed.data(), &scales, our_out.data(), 64, n));
            for (int64_t i = 0; i < n; ++i)
                CHECK_OR_RETURN(same_element(dtype, our_out, dequant, i), "%s: dequant[%lld] differs", nested.c_str(),
                                (long long)i);
            ++cases;

            if (dtype == BNB_F32) continue;  // upstream's vectors have gemv cases for f16 and bf16
            // The gemv weight is the input quantized with blocksize 64: W [128, 512], x [1, 512].
            const std::vector<uint8_t> x = ref.bytes(prefix + ".gemv.x", st_dtype);
            const std::vector<uint8_t> expected = ref.bytes(prefix + ".gemv.out", st_dtype);
            const std::vector<uint8_t> w_packed = ref.bytes(prefix + ".bs64.packed", "U8");
            const std::vector<float> w_absmax = ref.floats(prefix + ".bs64.absmax");
            const int64_t N = 128, K = 512;
            CHECK_OR_RETURN(x.size() == size_t(K) * 2 && expected.size() == size_t(N) * 2, "%s.gemv missing",
                            prefix.c_str());
            std::vector<uint8_t> out(N * 2);
            CHECK_OK(bnb_cpu_gemv_4bit(dtype, qt, x.data(), w_packed.data(), w_absmax.data(), nullptr, out.data(), 1, N,
                                       K, 64));
            // Upstream rounds code and absmax to dtype, their product, and each product with x to dtype,
            // then sums in f32: each term is off by at most about 4 units of dtype's rounding (u). Ours
            // rounds once; allow 2u of sum |x w| plus one unit in the last place of the result.
            const double u = dtype == BNB_BF16 ? 1.0 / 256 : 1.0 / 2048;
            for (int64_t r = 0; r < N; ++r) {
                double magnitude = 0.0;
                for (int64_t c = 0; c < K; ++c) {
                    int64_t v = r * K + c;
                    double w = test::spec_value(qt, test::code_at(w_packed, v)) * double(w_absmax[v / 64]);
                    magnitude += fabs(test::load_value(dtype, x, c) * w);
                }
                const double want = test::load_value(dtype, expected, r);
                const double got = test::load_value(dtype, out, r);
                const double tolerance = 2 * u * magnitude + 2 * u * fabs(want);
                CHECK_OR_RETURN(fabs(got - want) <= tolerance,
                                "%s.gemv out[%lld] = %.6g, upstream %.6g, tolerance %.3g", prefix.c_str(),
                                (long long)r, got, want, tolerance);
            }
            ++cases;
        }
    }
    printf("reference vectors: %d cases compared\n", cases);
}

// Odd sizes, every dtype, quant type and block size against the spec model; then dequantize.
void test_sizes_against_spec() {
    for (int32_t dtype : kDtypes)
        for (int64_t n : {1, 2, 3, 31, 63, 64, 65, 4095, 4097, 10007}) {
            const std::vector<uint8_t> a = test::random_values(dtype, n, 100 + n, true);
            for (int32_t qt : kQuantTypes)
                for (int64_t bs : kBlocksizes) {
                    const test::Quantized want = test::spec_quantize(dtype, qt, a, n, bs);
                    std::vector<float> absmax(want.absmax.size(), -1.0f);
                    std::vector<uint8_t> packed(want.packed.size(), 0xAA);
                    CHECK_OK(bnb_cpu_quantize_4bit(dtype, qt, a.data(), absmax.data(), packed.data(), bs, n));
                    for (size_t b = 0; b < absmax.size(); ++b)
                        CHECK_OR_RETURN(test::same_float(absmax[b], want.absmax[b]), "%s n=%lld bs=%lld absmax[%zu]",
                                        dtype_label(dtype), (long long)n, (long long)bs, b);
                    for (size_t j = 0; j < packed.size(); ++j)
                        CHECK_OR_RETURN(packed[j] == want.packed[j], "%s %s n=%lld bs=%lld byte %zu: %02x, spec %02x",
                                        dtype_label(dtype), quant_label(qt), (long long)n, (long long)bs, j, packed[j],
                                        want.packed[j]);
                    std::vector<uint8_t> out(a.size()), expected(a.size());
                    CHECK_OK(bnb_cpu_dequantize_4bit(dtype, qt, packed.data(), absmax.data(), out.data(), bs, n));
                    for (int64_t i = 0; i < n; ++i)
                        test::store_value(dtype, expected, i,
                                          test::spec_value(qt, test::code_at(packed, i)) * absmax[i / bs]);
                    for (int64_t i = 0; i < n; ++i)
                        CHECK_OR_RETURN(same_element(dtype, out, expected, i), "%s %s n=%lld bs=%lld out[%lld]",
                                        dtype_label(dtype), quant_label(qt), (long long)n, (long long)bs, (long long)i);
                }
        }
    // Padding: odd n, NF4 pads with 0b0111 and FP4 with 0b0000 (a block whose absmax is not 0).
    const std::vector<float> three = {0.5f, -1.0f, 0.25f};
    std::vector<uint8_t> packed(2);
    float absmax = 0.0f;
    CHECK_OK(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, three.data(), &absmax, packed.data(), 64, 3));
    CHECK((packed[1] & 15) == 7 && packed[0] == ((test::spec_nf4(0.5f) << 4) | 0), "NF4 padding: %02x %02x", packed[0],
          packed[1]);
    CHECK_OK(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_FP4, three.data(), &absmax, packed.data(), 64, 3));
    CHECK((packed[1] & 15) == 0 && packed[0] == 0x5B, "FP4 padding: %02x %02x", packed[0], packed[1]);
}

std::vector<float> dynamic_code() { return test::dynamic_map(); }

// Nested absmax against the formula, with random codes, absmax2 and offset.
void test_nested_dequantize() {
    Random rng(5);
    const std::vector<float> code = dynamic_code();
    for (int32_t dtype : kDtypes)
        for (int32_t qt : kQuantTypes)
            for (int64_t bs : {32, 64, 4096})
                for (int64_t n : {1, 63, 64 * 256 + 65, 300001}) {
                    const int64_t blocks = (n + bs - 1) / bs;
                    std::vector<uint8_t> packed((n + 1) / 2), codes(blocks);
                    for (auto& p : packed) p = static_cast<uint8_t>(rng.bits());
                    for (auto& c : codes) c = static_cast<uint8_t>(rng.bits());
                    std::vector<float> absmax2((blocks + 255) / 256);
                    for (auto& v : absmax2) v = rng.uniform(0.01f, 2.0f);
                    const float offset = rng.uniform(0.0f, 1.0f);
                    bnb_4bit_nested_absmax scales = {codes.data(), code.data(), absmax2.data(), &offset};
                    std::vector<uint8_t> out(n * test::dtype_size(dtype)), expected(out.size());
                    CHECK_OK(bnb_cpu_dequantize_4bit_nested(dtype, qt, packed.data(), &scales, out.data(), bs, n));
                    for (int64_t i = 0; i < n; ++i) {
                        const int64_t b = i / bs;
                        volatile float product = code[codes[b]] * absmax2[b / 256];  // rounded, then the sum
                        const float scale = product + offset;
                        test::store_value(dtype, expected, i, test::spec_value(qt, test::code_at(packed, i)) * scale);
                    }
                    for (int64_t i = 0; i < n; ++i)
                        CHECK_OR_RETURN(same_element(dtype, out, expected, i), "nested %s %s bs=%lld n=%lld out[%lld]",
                                        dtype_label(dtype), quant_label(qt), (long long)bs, (long long)n, (long long)i);
                }
}

// gemv on odd shapes against a double-precision product of the dequantized weight: the only error is
// f32 rounding (k terms) and the final rounding to dtype.
void test_gemv_shapes() {
    Random rng(6);
    const std::vector<float> code = dynamic_code();
    struct Shape {
        int64_t m, n, k, bs;
    };
    const Shape shapes[] = {{1, 1, 1, 32},    {1, 3, 63, 32},   {2, 5, 64, 64},     {3, 7, 4097, 4096},
                            {8, 17, 96, 32},  {16, 9, 130, 128}, {4, 64, 512, 64},  {1, 33, 1000, 256},
                            {5, 300, 257, 2048}};
    for (int32_t dtype : kDtypes)
        for (int32_t qt : kQuantTypes)
            for (const Shape& s : shapes)
                for (int nested = 0; nested < 2; ++nested)
                    for (int with_bias = 0; with_bias < 2; ++with_bias) {
                        const int64_t values = s.n * s.k, blocks = (values + s.bs - 1) / s.bs;
                        const std::vector<uint8_t> w = test::random_values(dtype, values, values + s.m, false, 3);
                        const std::vector<uint8_t> a = test::random_values(dtype, s.m * s.k, 7, false, 3);
                        std::vector<uint8_t> bias(s.n * test::dtype_size(dtype));
                        for (int64_t j = 0; j < s.n; ++j) test::store_value(dtype, bias, j, rng.normal());
                        std::vector<float> absmax(blocks);
                        std::vector<uint8_t> packed((values + 1) / 2);
                        CHECK_OK(bnb_cpu_quantize_4bit(dtype, qt, w.data(), absmax.data(), packed.data(), s.bs,
                                                       values));
                        std::vector<uint8_t> codes(blocks);
                        std::vector<float> absmax2((blocks + 255) / 256, 0.0f);
                        const float offset = 0.125f;
                        if (nested) {  // any valid nested state will do: the scales follow from it
                            for (int64_t b = 0; b < blocks; ++b) codes[b] = static_cast<uint8_t>(rng.bits());
                            for (auto& v : absmax2) v = rng.uniform(0.5f, 3.0f);
                            for (int64_t b = 0; b < blocks; ++b) {
                                volatile float product = code[codes[b]] * absmax2[b / 256];
                                absmax[b] = product + offset;
                            }
                        }
                        std::vector<uint8_t> out(s.m * s.n * test::dtype_size(dtype));
                        const void* b = with_bias ? bias.data() : nullptr;
                        bnb_4bit_nested_absmax scales = {codes.data(), code.data(), absmax2.data(), &offset};
                        if (nested)
                            CHECK_OK(bnb_cpu_gemv_4bit_nested(dtype, qt, a.data(), packed.data(), &scales, b,
                                                              out.data(), s.m, s.n, s.k, s.bs));
                        else
                            CHECK_OK(bnb_cpu_gemv_4bit(dtype, qt, a.data(), packed.data(), absmax.data(), b, out.data(),
                                                       s.m, s.n, s.k, s.bs));
                        const double unit =
                            dtype == BNB_F32 ? 1.0 / (1 << 24) : dtype == BNB_F16 ? 1.0 / 2048 : 1.0 / 256;
                        for (int64_t i = 0; i < s.m; ++i)
                            for (int64_t j = 0; j < s.n; ++j) {
                                double sum = with_bias ? test::load_value(dtype, bias, j) : 0.0, magnitude = fabs(sum);
                                for (int64_t c = 0; c < s.k; ++c) {
                                    const int64_t v = j * s.k + c;
                                    const double wv = double(test::spec_value(qt, test::code_at(packed, v))) *
                                                      absmax[v / s.bs];
                                    const double term = test::load_value(dtype, a, i * s.k + c) * wv;
                                    sum += term;
                                    magnitude += fabs(term);
                                }
                                const double got = test::load_value(dtype, out, i * s.n + j);
                                // f32 sums of k terms, one rounding to dtype, and dtype's subnormal spacing
                                // (f16: 2^-24).
                                const double tolerance = (s.k + 2) * 1.2e-7 * magnitude + unit * fabs(sum) +
                                                         (dtype == BNB_F16 ? 6e-8 : 1e-38);
                                CHECK_OR_RETURN(fabs(got - sum) <= tolerance,
                                                "gemv %s %s m=%lld n=%lld k=%lld bs=%lld nested=%d bias=%d "
                                                "out[%lld,%lld] = %.8g, expected %.8g",
                                                dtype_label(dtype), quant_label(qt), (long long)s.m, (long long)s.n,
                                                (long long)s.k, (long long)s.bs, nested, with_bias, (long long)i,
                                                (long long)j, got, sum);
                            }
                    }
}

void test_bad_arguments() {
    float f[64] = {0};
    uint8_t q[64] = {0};
    const float code[256] = {0};
    const float offset = 0.0f;
    bnb_4bit_nested_absmax nested = {q, code, f, &offset};
    bnb_4bit_nested_absmax missing = {q, nullptr, f, &offset};
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, q, 48, 16), BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "48") != nullptr && strstr(bnb_last_error(), "4096") != nullptr,
          "message names the blocksize and the allowed ones: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, q, 16, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, q, 8192, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, 0, f, f, q, 64, 16), BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "quant_type") != nullptr, "message names quant_type: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_I32, BNB_QUANT_NF4, f, f, q, 64, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, q, 64, -1), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, nullptr, f, q, 64, 16), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, nullptr, q, 64, 16), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, f, f, nullptr, 64, 16), BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cpu_quantize_4bit(BNB_F32, BNB_QUANT_NF4, nullptr, nullptr, nullptr, 64, 0));
    CHECK_FAILS(bnb_cpu_dequantize_4bit(BNB_F16, 3, q, f, f, 64, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_dequantize_4bit(BNB_U8, BNB_QUANT_FP4, q, f, f, 64, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_dequantize_4bit(BNB_F16, BNB_QUANT_FP4, q, nullptr, f, 64, 16), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_dequantize_4bit(BNB_F16, BNB_QUANT_FP4, q, f, f, 100, 16), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_dequantize_4bit_nested(BNB_F16, BNB_QUANT_FP4, q, nullptr, f, 64, 16),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_dequantize_4bit_nested(BNB_F16, BNB_QUANT_FP4, q, &missing, f, 64, 16),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "nested") != nullptr, "message names the nested absmax: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_dequantize_4bit_nested(BNB_F16, BNB_QUANT_FP4, q, &nested, f, 64, -5),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, f, 0, 4, 4, 64), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, f, 17, 4, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "17") != nullptr, "message names m: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, f, 1, -1, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, f, 1, 4, -4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, nullptr, q, f, nullptr, f, 1, 4, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, nullptr, nullptr, f, 1, 4, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, BNB_QUANT_NF4, f, q, f, nullptr, nullptr, 1, 4, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_BF16, 7, f, q, f, nullptr, f, 1, 4, 4, 64), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_I8, BNB_QUANT_NF4, f, q, f, nullptr, f, 1, 4, 4, 64), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_gemv_4bit(BNB_F32, BNB_QUANT_NF4, f, q, f, nullptr, f, 1, 4, 4, 33), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_gemv_4bit_nested(BNB_F32, BNB_QUANT_NF4, f, q, &missing, nullptr, f, 1, 4, 4, 64),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cpu_gemv_4bit(BNB_F32, BNB_QUANT_NF4, nullptr, nullptr, nullptr, nullptr, nullptr, 1, 0, 4, 64));
    // k == 0: the bias (or 0) alone.
    const float bias[2] = {1.5f, -2.0f};
    float out[2] = {9.0f, 9.0f};
    CHECK_OK(bnb_cpu_gemv_4bit(BNB_F32, BNB_QUANT_NF4, nullptr, nullptr, f, bias, out, 1, 2, 0, 64));
    CHECK(out[0] == 1.5f && out[1] == -2.0f, "k = 0 gives the bias: %g %g", out[0], out[1]);
}

}  // namespace

int main(int argc, char** argv) {
    const char* vectors = BNB_REFERENCE_VECTORS;
    for (int i = 1; i + 1 < argc; ++i)
        if (strcmp(argv[i], "--vectors") == 0) vectors = argv[i + 1];
    test_search_matches_spec();
    test_nf4_step_table();
    test::ReferenceVectors ref(vectors);
    CHECK(ref.ok(), "cannot read the reference vectors %s", vectors);
    if (ref.ok()) test_reference_vectors(ref);
    test_sizes_against_spec();
    test_nested_dequantize();
    test_gemv_shapes();
    test_bad_arguments();
    return test::finish_program("bnb_fourbit_cpu_tests");
}
