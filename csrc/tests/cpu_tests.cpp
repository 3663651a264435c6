// Tests of libbnb_cpu's quantization entry points and of the search and conversion helpers they use.
#include "common/code_table.h"
#include "common/half_convert.h"
#include "common/quant_search.h"
#include "test_util.h"

namespace {

using test::Random;

void test_half_conversions() {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        uint16_t bits = static_cast<uint16_t>(h);
        bool nan = (bits & 0x7fff) > 0x7c00;
        uint16_t back = bnb::float_to_half(bnb::half_to_float(bits));
        CHECK_OR_RETURN(back == (nan ? 0x7fff : bits), "half %04x came back as %04x", bits, back);
        bool bnan = (bits & 0x7fff) > 0x7f80;
        uint16_t bback = bnb::float_to_bf16(bnb::bf16_to_float(bits));
        CHECK_OR_RETURN(bback == (bnan ? 0x7fff : bits), "bf16 %04x came back as %04x", bits, bback);
    }
    Random rng(1);
    for (int i = 0; i < 2000000; ++i) {
        float f = bnb::bits_float(rng.bits());
#ifdef __FLT16_MAX__
        _Float16 h = static_cast<_Float16>(f);
        uint16_t expected;
        memcpy(&expected, &h, sizeof expected);
        if (isnan(f)) expected = 0x7fff;
        CHECK_OR_RETURN(bnb::float_to_half(f) == expected, "float_to_half(%a) = %04x, expected %04x", f,
                        bnb::float_to_half(f), expected);
#endif
        if (isnan(f) || isinf(f)) continue;
        // bf16: the nearer of the two neighbours by truncation, ties to the even one; past the largest
        // finite value the upper neighbour is infinity, which counts as 2^128 here.
        uint16_t down = static_cast<uint16_t>(test::bits_of(f) >> 16);
        uint16_t up = static_cast<uint16_t>(down + 1);
        double up_value = (up & 0x7fff) == 0x7f80 ? copysign(ldexp(1.0, 128), f) : bnb::bf16_to_float(up);
        double d_down = fabs(static_cast<double>(bnb::bf16_to_float(down)) - f);
        double d_up = fabs(up_value - f);
        uint16_t expected_bf = d_down < d_up || (d_down == d_up && !(down & 1)) ? down : up;
        CHECK_OR_RETURN(bnb::float_to_bf16(f) == expected_bf, "float_to_bf16(%a) = %04x, expected %04x", f,
                        bnb::float_to_bf16(f), expected_bf);
    }
}

// Values worth searching: every code, the float midpoints between neighbours, their float neighbours,
// random values in and a little beyond [-1, 1], small ones, and special values.
std::vector<float> probe_values(const std::vector<float>& code, Random& rng, int random_count) {
    std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-38f, -1e-38f, 1e-45f, -1e-45f};
    for (size_t j = 0; j < code.size(); ++j) {
        float mids[] = {code[j], j + 1 < code.size() ? (code[j] + code[j + 1]) * 0.5f : code[j]};
        for (float m : mids) {
            xs.push_back(m);
            xs.push_back(nextafterf(m, INFINITY));
            xs.push_back(nextafterf(m, -INFINITY));
        }
    }
    for (int i = 0; i < random_count; ++i) {
        xs.push_back(rng.uniform(-1.1f, 1.1f));
        xs.push_back(rng.normal() * 1e-3f);
        xs.push_back(bnb::bits_float(rng.bits()));
    }
    return xs;
}

void test_search_is_nearest() {
    Random rng(2);
    for (const std::vector<float>& code : {test::dynamic_map(), test::linear_map()}) {
        CHECK_OR_RETURN(code.size() == 256, "code has %zu entries", code.size());
        int ties = 0;
        for (float x : probe_values(code, rng, 100000)) {
            if (isnan(x) || fabsf(x) > 1.0f) continue;
            int q = bnb::quantize_to_code(code.data(), x);
            int best = 0;
            for (int j = 1; j < 256; ++j)
                if (fabs(static_cast<double>(x) - code[j]) < fabs(static_cast<double>(x) - code[best])) best = j;
            if (q == best) continue;
            bool tie = fabs(static_cast<double>(x) - code[q]) == fabs(static_cast<double>(x) - code[best]) ||
                       x == (code[q] + code[best]) * 0.5f;
            CHECK_OR_RETURN(tie, "x=%a: index %d (%a), nearest is %d (%a)", x, q, code[q], best, code[best]);
            ++ties;
        }
        CHECK(ties > 0, "expected some exact midpoint ties among the probes");
    }
    CHECK(bnb::quantize_to_code(test::dynamic_map().data(), NAN) == 0, "NaN must give index 0");
}

// The CUDA kernels' search (common/code_table.h) must agree with quantize_to_code on every code,
// including codes that are not ascending or hold NaN and infinities, which the C API forbids but which
// must still give the same bytes on both sides.
void test_table_search_matches_reference() {
    Random rng(3);
    std::vector<std::vector<float>> codes = {test::dynamic_map(), test::linear_map()};
    std::vector<float> sorted(256), duplicates(256, 0.0f), unsorted(256), specials(256);
    for (float& v : sorted) v = rng.uniform(-1.0f, 1.0f);
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 15; ++i) duplicates[i < 7 ? i : 241 + i] = (i - 7) / 8.0f;  // NF4-like, 241 zeros
    std::sort(duplicates.begin(), duplicates.end());
    for (float& v : unsorted) v = rng.uniform(-1.0f, 1.0f);
    const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f, 3e38f, -3e38f};
    for (float& v : specials) v = rng.below(4) == 0 ? odd[rng.below(9)] : rng.uniform(-1.0f, 1.0f);
    codes.insert(codes.end(), {sorted, duplicates, unsorted, specials});
    for (const std::vector<float>& code : codes) {
        float pivots[bnb::kPaddedCodes] = {};
        for (int j = 0; j < 256; ++j) pivots[bnb::padded_index(j)] = code[j];
        for (int p = 0; p < 256; p += 2) {
            unsigned base = 4 * bnb::padded_index(p);
            CHECK_OR_RETURN(bnb::pivot_of(base) == p, "pivot_of(%u) = %d, expected %d", base, bnb::pivot_of(base), p);
        }
        auto bounds_of = [&](int p) { return bnb::code_bounds(code.data(), p); };
        // The final step alone, for every p, at the values where its comparisons change.
        for (int p = 0; p < 256; p += 2) {
            const float v = code[p], below = p > 0 ? (code[p - 1] + v) * 0.5f : v, above = (code[p + 1] + v) * 0.5f;
            const bnb::CodeBounds bounds = bounds_of(p);
            for (float m : {v, below, above, bounds.below, bounds.above, 0.0f, NAN, INFINITY, -INFINITY})
                for (float x : {m, nextafterf(m, INFINITY), nextafterf(m, -INFINITY)}) {
                    int expected = x > v ? p + (x > above) : (p > 0 && x < below ? p - 1 : p);
                    int got = p;
                    bnb::add_if_greater(got, x, bounds.above, 1);
                    bnb::add_if_greater(got, bounds.below, x, -1);
                    CHECK_OR_RETURN(got == expected, "p=%d v=%a x=%a: final step %d, expected %d", p, v, x, got, expected);
                }
        }
        // The whole search, four values at a time as the kernels do it.
        std::vector<float> xs = probe_values(code, rng, 200000);
        for (size_t i = 0; i + 4 <= xs.size(); i += 4) {
            const float x[4] = {xs[i], xs[i + 1], xs[i + 2], xs[i + 3]};
            int q[4];
            bnb::quantize_values(pivots, code[63], code[127], code[191], bounds_of, x, q);
            for (int k = 0; k < 4; ++k) {
                int expected = bnb::quantize_to_code(code.data(), x[k]);
                CHECK_OR_RETURN(q[k] == expected, "x=%a: table search %d, reference %d", x[k], q[k], expected);
            }
        }
    }
}

struct Element {
    int32_t dtype;
    const char* name;
    size_t size;
    float round(float v) const {  // the value after a round trip through the dtype
        if (dtype == BNB_F16) return bnb::half_to_float(bnb::float_to_half(v));
        if (dtype == BNB_BF16) return bnb::bf16_to_float(bnb::float_to_bf16(v));
        return v;
    }
    void put(std::vector<uint8_t>& buf, int64_t i, float v) const {
        if (dtype == BNB_F32) {
            memcpy(&buf[i * 4], &v, 4);
        } else {
            uint16_t h = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
            memcpy(&buf[i * 2], &h, 2);
        }
    }
    float get(const std::vector<uint8_t>& buf, int64_t i) const {
        if (dtype == BNB_F32) {
            float v;
            memcpy(&v, &buf[i * 4], 4);
            return v;
        }
        uint16_t h;
        memcpy(&h, &buf[i * 2], 2);
        return dtype == BNB_F16 ? bnb::half_to_float(h) : bnb::bf16_to_float(h);
    }
};

const Element kElements[] = {{BNB_F32, "f32", 4}, {BNB_F16, "f16", 2}, {BNB_BF16, "bf16", 2}};

// Quantizes random data (one scale per block, some specials) and checks absmax, the indices against
// the reference search, and the dequantized values against code[q] * absmax rounded to the dtype.
void test_roundtrip(const Element& e, const std::vector<float>& code, int64_t n, int64_t blocksize, Random& rng) {
    std::vector<uint8_t> a(n * e.size), deq(n * e.size);
    std::vector<float> x(n);
    for (int64_t i = 0; i < n; ++i) {
        float scale = powf(10.0f, static_cast<float>((i / blocksize) % 7) - 3.0f);
        x[i] = e.round(rng.normal() * scale);
        e.put(a, i, x[i]);
    }
    int64_t blocks = (n + blocksize - 1) / blocksize;
    std::vector<float> absmax(blocks, -1.0f);
    std::vector<uint8_t> q(n);
    CHECK_OK(bnb_cpu_quantize_blockwise(e.dtype, code.data(), a.data(), absmax.data(), q.data(), blocksize, n));
    CHECK_OK(bnb_cpu_dequantize_blockwise(e.dtype, code.data(), q.data(), absmax.data(), deq.data(), blocksize, n));
    float max_gap = 0.0f;
    for (int j = 1; j < 256; ++j) max_gap = std::max(max_gap, code[j] - code[j - 1]);
    for (int64_t b = 0; b < blocks; ++b) {
        float m = 0.0f;
        for (int64_t i = b * blocksize; i < std::min(n, (b + 1) * blocksize); ++i) m = std::max(m, fabsf(x[i]));
        CHECK_OR_RETURN(absmax[b] == m, "%s n=%lld bs=%lld: absmax[%lld] = %a, expected %a", e.name,
                        (long long)n, (long long)blocksize, (long long)b, absmax[b], m);
    }
    for (int64_t i = 0; i < n; ++i) {
        float am = absmax[i / blocksize];
        int expected = bnb::quantize_to_code(code.data(), x[i] * (1.0f / am));
        CHECK_OR_RETURN(q[i] == expected, "%s n=%lld bs=%lld: q[%lld] = %d, expected %d", e.name, (long long)n,
                        (long long)blocksize, (long long)i, q[i], expected);
        float d = e.get(deq, i);
        CHECK_OR_RETURN(test::same_float(d, e.round(code[q[i]] * am)), "%s: deq[%lld] = %a, expected %a", e.name,
                        (long long)i, d, e.round(code[q[i]] * am));
        float bound = am * (max_gap * 0.5f + 1e-6f) + fabsf(x[i]) * 1e-2f;
        CHECK_OR_RETURN(fabsf(d - x[i]) <= bound, "%s: deq[%lld] = %g for x = %g (absmax %g)", e.name,
                        (long long)i, d, x[i], am);
    }
}

void test_roundtrips() {
    Random rng(4);
    std::vector<float> dynamic = test::dynamic_map(), linear = test::linear_map();
    for (const Element& e : kElements)
        for (int64_t n : {1, 4097, 65537})
            for (int64_t bs : {64, 128, 256, 512, 1024, 2048, 4096}) test_roundtrip(e, dynamic, n, bs, rng);
    for (const Element& e : kElements) {
        test_roundtrip(e, linear, 4097, 256, rng);
        for (int64_t bs : {1, 3, 100}) test_roundtrip(e, dynamic, 1000, bs, rng);
        test_roundtrip(e, dynamic, (1 << 20) + 5, 64, rng);  // large enough for several threads
    }
}

// An all-zero block gives absmax 0, index 0 (0 * inf is NaN) and -0.0 back; NaN is ignored by the
// block maximum and gets index 0; an infinity makes the block's scale 0.
void test_special_blocks() {
    std::vector<float> code = test::dynamic_map();
    std::vector<float> x = {0.0f, 0.0f, -0.0f, 0.0f, 0.5f, NAN, -0.25f, 0.0f, INFINITY, 1.0f, 0.0f, -2.0f};
    const int64_t bs = 4, n = static_cast<int64_t>(x.size());
    std::vector<float> absmax(3), out(x.size());
    std::vector<uint8_t> q(x.size());
    CHECK_OK(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), x.data(), absmax.data(), q.data(), bs, n));
    CHECK_OK(bnb_cpu_dequantize_blockwise(BNB_F32, code.data(), q.data(), absmax.data(), out.data(), bs, n));
    CHECK(absmax[0] == 0.0f && absmax[1] == 0.5f && isinf(absmax[2]), "absmax %g %g %g", absmax[0], absmax[1],
          absmax[2]);
    for (int i = 0; i < 4; ++i) {
        CHECK(q[i] == 0, "zero block: q[%d] = %d", i, q[i]);
        CHECK(test::bits_of(out[i]) == 0x80000000u, "zero block: out[%d] = %a, expected -0.0", i, out[i]);
    }
    CHECK(q[4] == 255 && q[5] == 0, "q[4] = %d, q[5] (NaN) = %d", q[4], q[5]);
    int zero_index = bnb::quantize_to_code(code.data(), 0.0f);
    CHECK(q[8] == 0 && q[9] == zero_index && q[11] == zero_index, "inf block: q = %d %d %d", q[8], q[9], q[11]);
}

void test_bad_arguments() {
    std::vector<float> code = test::dynamic_map(), x(8, 1.0f), absmax(8);
    std::vector<uint8_t> q(8);
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_U8, code.data(), x.data(), absmax.data(), q.data(), 4, 8),
                BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "BNB_U8") != nullptr, "message names the dtype: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(42, code.data(), q.data(), absmax.data(), x.data(), 4, 8),
                BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), x.data(), absmax.data(), q.data(), 0, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "blocksize") != nullptr, "message names blocksize: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), x.data(), absmax.data(), q.data(), 4, -1),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), nullptr, absmax.data(), q.data(), 4, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "A must not be NULL") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(BNB_F16, nullptr, q.data(), absmax.data(), x.data(), 4, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_center_f32(x.data(), x.data(), nullptr, 8), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_add_offset_f32(x.data(), x.data(), code.data(), -3), BNB_ERR_INVALID_ARGUMENT);
    // n == 0 does nothing, and then the data pointers may be NULL (as those of empty tensors are).
    CHECK_OK(bnb_cpu_quantize_blockwise(BNB_BF16, nullptr, nullptr, nullptr, nullptr, 64, 0));
    CHECK_OK(bnb_cpu_dequantize_blockwise(BNB_F32, nullptr, nullptr, nullptr, nullptr, 64, 0));
}

void test_center() {
    Random rng(5);
    for (int64_t n : {1, 1000, 300001}) {
        std::vector<float> x(n), out(n), back(n);
        double sum = 0.0;
        for (float& v : x) {
            v = rng.uniform(0.0f, 3.0f);
            sum += v;
        }
        float mean = -1.0f;
        CHECK_OK(bnb_cpu_center_f32(x.data(), out.data(), &mean, n));
        CHECK(fabs(mean - sum / n) <= 1e-6 * fabs(sum / n), "n=%lld: mean %.9g, expected %.9g", (long long)n, mean,
              sum / n);
        for (int64_t i = 0; i < n; ++i) CHECK_OR_RETURN(out[i] == x[i] - mean, "out[%lld]", (long long)i);
        CHECK_OK(bnb_cpu_add_offset_f32(out.data(), back.data(), &mean, n));
        for (int64_t i = 0; i < n; ++i) CHECK_OR_RETURN(back[i] == out[i] + mean, "back[%lld]", (long long)i);
        std::vector<float> in_place = x;
        float mean2 = 0.0f;
        CHECK_OK(bnb_cpu_center_f32(in_place.data(), in_place.data(), &mean2, n));
        CHECK(mean2 == mean && in_place == out, "in place differs");
    }
    float mean = 1.0f;
    CHECK_OK(bnb_cpu_center_f32(nullptr, nullptr, &mean, 0));
    CHECK(mean == 0.0f, "mean of nothing = %g", mean);
}

}  // namespace

int main() {
    test_half_conversions();
    test_search_is_nearest();
    test_table_search_matches_reference();
    test_roundtrips();
    test_special_blocks();
    test_bad_arguments();
    test_center();
    if (test::failures() != 0) {
        fprintf(stderr, "bnb_cpu_tests: %d check(s) failed\n", test::failures());
        return 1;
    }
    printf("bnb_cpu_tests: all checks passed\n");
    return 0;
}
