// Tests of libbnb_cpu's quantization entry points and of the search and conversion helpers they use.
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


// The unsigned dynamic map (spec 3.1, signed=False): 0, 254 positive means in groups of 2, 4, ..., 128, 1.
std::vector<float> unsigned_dynamic_map() {
    std::vector<float> code;
    for (int i = 0; i < 7; ++i) {
        int k = (2 << i) + 1;
        double scale = pow(10.0, i - 6);
        for (int j = 0; j + 1 < k; ++j) {
            double lo = 0.1 + 0.9 * j / (k - 1), hi = 0.1 + 0.9 * (j + 1) / (k - 1);
            code.push_back(static_cast<float>(scale * (lo + hi) / 2));
        }
    }
    code.push_back(0.0f);
    code.push_back(1.0f);
    std::sort(code.begin(), code.end());
    return code;
}

// A 16-value 4-bit table padded with zeros to 256 entries and sorted, as create_normal_map pads.
std::vector<float> padded_code(std::initializer_list<float> values) {
    std::vector<float> code(values);
    code.resize(256, 0.0f);
    std::sort(code.begin(), code.end());
    return code;
}

// The step table the quantize kernel builds on the device, built on the host with the same function.
struct QuantizeTable {
    using Shape = bnb::QuantizeTable;
    std::vector<uint32_t> entries;
    explicit QuantizeTable(const float* code) : entries(Shape::kEntries) {
        for (int i = 0; i < Shape::kEntries; ++i) entries[i] = bnb::quantize_table_entry(code, i);
    }
    bool falls_back(float x) const {
        const uint32_t b = test::bits_of(x);
        return (Shape::usable(entries[Shape::index(b)], b) & bnb::kStepValid) == 0;
    }
    // The floats where the table says the function steps, and the first float of every bucket.
    std::vector<float> edges() const {
        std::vector<float> out;
        for (int i = 0; i < Shape::kEntries; ++i) {
            uint32_t first, last;
            bool regular, huge;
            Shape::bucket_keys(i, &first, &last, &regular, &huge);
            out.push_back(bnb::key_float(first));
            const uint32_t off = Shape::entry_step(entries[i]);
            if (entries[i] != bnb::kStepFallback && off < Shape::kNever) out.push_back(bnb::key_float(first + off));
        }
        return out;
    }
};

// index() (byte_offset() / 4) against bucket_keys(), its inverse: the first and the last float of every
// bucket map to that bucket, and so does any bit pattern that is not a NaN (NaNs go to the huge buckets).
template <class Shape>
void check_bucket_index(Random& rng) {
    for (int i = 0; i < Shape::kEntries; ++i) {
        uint32_t first, last;
        bool regular, huge;
        Shape::bucket_keys(i, &first, &last, &regular, &huge);
        for (uint32_t key : {first, last}) {
            const uint32_t b = test::bits_of(bnb::key_float(key));
            CHECK_OR_RETURN(Shape::index(b) == i && Shape::byte_offset(b) == 4u * i,
                            "bucket %d: float 0x%08x maps to %d", i, b, Shape::index(b));
        }
    }
    for (int n = 0; n < 1000000; ++n) {
        // Tables without negatives key |x| only.
        const uint32_t b = Shape::kEntries == Shape::kHalf ? rng.bits() & 0x7fffffffu : rng.bits();
        const int i = Shape::index(b);
        CHECK_OR_RETURN(i >= 0 && i < Shape::kEntries, "0x%08x maps to %d of %d", b, i, Shape::kEntries);
        uint32_t first, last;
        bool regular, huge;
        Shape::bucket_keys(i, &first, &last, &regular, &huge);
        const float x = bnb::bits_float(b);
        const uint32_t key = bnb::ordered_key(x);
        CHECK_OR_RETURN(x != x ? huge : first <= key && key <= last, "0x%08x outside its bucket %d", b, i);
    }
}

void test_bucket_index() {
    Random rng(41);
    check_bucket_index<bnb::QuantizeTable>(rng);
    check_bucket_index<bnb::StepTable<7, 103, 25, false>>(rng);
}

// The float next to x in the float order (dir = +1 above, -1 below).
float key_neighbour(float x, int dir) { return bnb::key_float(bnb::ordered_key(x) + static_cast<uint32_t>(dir)); }

// The search of quantize_kernel (its step table, common/quant_search.h) against quantize_to_code, for
// every kind of code: on every float near a step, a code value, a midpoint or a bucket edge, on sweeps of
// the float order, on special and random values.
void test_bucket_search_matches_reference() {
    Random rng(6);
    std::vector<std::pair<const char*, std::vector<float>>> codes;
    codes.push_back({"dynamic", test::dynamic_map()});
    codes.push_back({"dynamic unsigned", unsigned_dynamic_map()});
    codes.push_back({"linear", test::linear_map()});
    codes.push_back({"nf4 padded", padded_code({-1.0f, -0.6961928009986877f, -0.5250730514526367f,
                                                -0.39491748809814453f, -0.28444138169288635f,
                                                -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                                                0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
                                                0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                                                0.7229568362236023f, 1.0f})});
    codes.push_back({"fp4 padded", padded_code({0.0f, 0.0625f / 12, 8.0f / 12, 1.0f, 4.0f / 12, 6.0f / 12, 2.0f / 12,
                                                3.0f / 12, 0.0f, -0.0625f / 12, -8.0f / 12, -1.0f, -4.0f / 12,
                                                -6.0f / 12, -2.0f / 12, -3.0f / 12})});
    std::vector<float> v(256);
    for (float& c : v) c = rng.uniform(-1.0f, 1.0f);
    std::sort(v.begin(), v.end());
    codes.push_back({"random ascending", v});
    for (float& c : v) c = static_cast<float>(rng.below(9) - 4) / 4.0f;  // many repeats
    std::sort(v.begin(), v.end());
    codes.push_back({"repeated values", v});
    for (float& c : v) c = rng.normal() * powf(10.0f, static_cast<float>(rng.below(40) - 20));  // all scales
    std::sort(v.begin(), v.end());
    codes.push_back({"wide ascending", v});
    v = test::dynamic_map();
    v[0] = v[1] = -INFINITY;
    v[254] = v[255] = INFINITY;
    codes.push_back({"dynamic with infinities", v});
    for (int i = 0; i < 256; ++i) v[i] = i < 128 ? -INFINITY : INFINITY;
    codes.push_back({"-inf and inf", v});
    for (float& c : v) c = rng.uniform(-1.0f, 1.0f);
    codes.push_back({"unsorted", v});
    const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f, 3e38f, -3e38f};
    for (float& c : v) c = rng.below(4) == 0 ? odd[rng.below(9)] : rng.uniform(-1.0f, 1.0f);
    codes.push_back({"unsorted with NaN and infinities", v});
    codes.push_back({"all NaN", std::vector<float>(256, NAN)});
    codes.push_back({"all zero", std::vector<float>(256, 0.0f)});
    v = test::dynamic_map();
    std::reverse(v.begin(), v.end());
    codes.push_back({"descending", v});

    int64_t total = 0;
    for (const auto& [name, code] : codes) {
        CHECK_OR_RETURN(code.size() == 256, "%s has %zu entries", name, code.size());
        const float* c = code.data();
        QuantizeTable table(c);
        auto reference = [c](float x) { return static_cast<int>(bnb::quantize_to_code(c, x)); };
        // The search on a batch of values, eight at a time as for 16-bit inputs, against the reference.
        int64_t code_slow = 0;
        auto check = [&](const std::vector<float>& xs) {
            for (size_t i = 0; i < xs.size(); i += 8) {
                float x[8];
                for (int k = 0; k < 8; ++k) x[k] = xs[std::min(i + k, xs.size() - 1)];
                uint32_t q[8];
                bnb::step_lookup<QuantizeTable::Shape>(table.entries.data(), x, q,
                                                       [&](int k) { return bnb::quantize_or_nan(c, x[k]); });
                for (int k = 0; k < 8; ++k) {
                    const int expected = reference(x[k]);
                    if (static_cast<int>(q[k]) != expected) {
                        CHECK(false, "%s: x=%a (bits %08x): table %u, reference %d", name, x[k], test::bits_of(x[k]),
                              q[k], expected);
                        return false;
                    }
                    code_slow += table.falls_back(x[k]);
                }
            }
            total += static_cast<int64_t>(xs.size());
            return true;
        };
        std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, -1e-45f, 1.1754942e-38f,
                                 -1.1754942e-38f, 1.17549435e-38f, 3.4028235e38f, -3.4028235e38f, 1.0f, -1.0f};
        for (uint32_t nan_bits : {0x7f800001u, 0x7fc00000u, 0x7fffffffu, 0xff800001u, 0xffc00000u, 0xffffffffu,
                                  0x7f81ffffu, 0x7f820000u, 0xff81ffffu})
            xs.push_back(bnb::bits_float(nan_bits));
        for (int d = 1; d <= 64; ++d) {
            xs.push_back(key_neighbour(1.0f, d));
            xs.push_back(key_neighbour(-1.0f, -d));
        }
        // Every float within 64 steps of a step, a code value, a midpoint, a bucket edge.
        std::vector<float> centres = table.edges();
        for (int j = 0; j < 256; ++j) {
            centres.push_back(code[j]);
            if (j < 255) centres.push_back((code[j] + code[j + 1]) * 0.5f);
        }
        for (float m : centres) {
            if (isnan(m)) continue;
            for (int d = -64; d <= 64; ++d) xs.push_back(key_neighbour(m, d));
        }
        if (!check(xs)) return;
        // A strided sweep of the floats with |x| <= 1.01, and a coarser one of all floats.
        xs.clear();
        const uint32_t first = bnb::ordered_key(-1.01f), last = bnb::ordered_key(1.01f);
        for (uint64_t k = first + rng.below(251); k <= last; k += 251)
            xs.push_back(bnb::key_float(static_cast<uint32_t>(k)));
        for (uint64_t k = rng.below(65521); k < (uint64_t{1} << 32); k += 65521)
            xs.push_back(bnb::bits_float(static_cast<uint32_t>(k)));
        if (!check(xs)) return;
        // Random values: uniform in [-1.01, 1.01], scaled normals, and random bit patterns.
        xs.clear();
        for (int i = 0; i < 1000000; ++i) {
            xs.push_back(rng.uniform(-1.01f, 1.01f));
            xs.push_back(rng.normal() * powf(10.0f, -static_cast<float>(rng.below(8))));
            xs.push_back(bnb::bits_float(rng.bits()));
        }
        if (!check(xs)) return;
        // How often the rare full search runs on normal data scaled by its block maximum (64 values).
        int64_t normal_slow = 0;
        for (int b = 0; b < 20000; ++b) {
            float block[64], m = 0.0f;
            for (float& x : block) m = std::max(m, fabsf(x = rng.normal()));
            for (float x : block) {
                float y = x * (1.0f / m);
                normal_slow += table.falls_back(y);
            }
        }
        // The dynamic map needs no full search for block-scaled finite data (a step table requirement).
        CHECK(strcmp(name, "dynamic") != 0 || normal_slow == 0, "dynamic map: %lld full searches on normal blocks",
              static_cast<long long>(normal_slow));
        printf("step table, %s: %lld values checked, full search on %.4f%% of them, on %.4f%% of normal blocks\n",
               name, static_cast<long long>(total), 100.0 * code_slow / total, 100.0 * normal_slow / (20000.0 * 64));
        total = 0;
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
    CHECK_OK(bnb_cpu_quantize_blockwise(e.dtype, code.data(), 256, a.data(), absmax.data(), blocks, q.data(),
                                        blocksize, n));
    CHECK_OK(bnb_cpu_dequantize_blockwise(e.dtype, code.data(), 256, q.data(), absmax.data(), blocks, deq.data(),
                                          blocksize, n));
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
    CHECK_OK(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 3, q.data(), bs, n));
    CHECK_OK(bnb_cpu_dequantize_blockwise(BNB_F32, code.data(), 256, q.data(), absmax.data(), 3, out.data(), bs, n));
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
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_U8, code.data(), 256, x.data(), absmax.data(), 2, q.data(), 4, 8),
                BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "BNB_U8") != nullptr, "message names the dtype: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(42, code.data(), 256, q.data(), absmax.data(), 2, x.data(), 4, 8),
                BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 8, q.data(), 0, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "blocksize") != nullptr, "message names blocksize: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 2, q.data(), 4, -1),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, nullptr, absmax.data(), 2, q.data(), 4, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "A must not be NULL") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(BNB_F16, nullptr, 256, q.data(), absmax.data(), 2, x.data(), 4, 8),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_center_f32(x.data(), x.data(), nullptr, 8), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_add_offset_f32(x.data(), x.data(), code.data(), -3), BNB_ERR_INVALID_ARGUMENT);
    // n == 0 does nothing, and then the data pointers may be NULL (as those of empty tensors are).
    CHECK_OK(bnb_cpu_quantize_blockwise(BNB_BF16, nullptr, 256, nullptr, nullptr, 0, nullptr, 64, 0));
    CHECK_OK(bnb_cpu_dequantize_blockwise(BNB_F32, nullptr, 256, nullptr, nullptr, 0, nullptr, 64, 0));
}

// Buffers shorter than the call needs are refused before anything is read or written (issue 13: a 16-entry
// code book or a short absmax read out of bounds): the status, the argument's name, the numbers, and
// untouched outputs. Larger absmax buffers are fine.
void test_bad_sizes() {
    const std::vector<float> code = test::dynamic_map();
    const std::vector<float> x = {0.5f, -1.0f, 0.25f, 2.0f, 0.0f, 1.5f, -0.75f, 3.0f, 1.0f};  // n = 9
    std::vector<float> absmax(4, -7.0f), out(9, -7.0f);
    std::vector<uint8_t> q(9, 7);
    auto untouched = [&](const char* what) {
        for (float a : absmax) CHECK(a == -7.0f, "%s wrote absmax", what);
        for (float o : out) CHECK(o == -7.0f, "%s wrote out", what);
        for (uint8_t c : q) CHECK(c == 7, "%s wrote codes", what);
    };
    auto mentions = [](const char* what, const char* part) {
        CHECK(strstr(bnb_last_error(), part) != nullptr, "%s: error \"%s\" does not mention \"%s\"", what,
              bnb_last_error(), part);
        CHECK(test::has_file_line(bnb_last_error()), "%s: error \"%s\" lacks file:line", what, bnb_last_error());
    };
    // n = 9, blocksize 4: 3 blocks.
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 16, x.data(), absmax.data(), 3, q.data(), 4, 9),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("16-entry code book", "code_len must be 256");
    mentions("16-entry code book", "got 16");
    untouched("16-entry code book");
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 2, q.data(), 4, 9),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("short absmax", "absmax_len must be >= ceil(n / blocksize) = 3 for n = 9 and blocksize = 4, got 2");
    untouched("short absmax");
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(BNB_F32, code.data(), 255, q.data(), absmax.data(), 3, out.data(), 4, 9),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("dequantize, 255-entry code book", "code_len");
    untouched("dequantize, 255-entry code book");
    // A state that says block size 2 for absmax made with block size 4 (5 needed, 3 given).
    CHECK_FAILS(bnb_cpu_dequantize_blockwise(BNB_BF16, code.data(), 256, q.data(), absmax.data(), 3, out.data(), 2, 9),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("dequantize, blocksize 2 with 3 absmax", "= 5 for n = 9 and blocksize = 2, got 3");
    untouched("dequantize, blocksize 2 with 3 absmax");
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F16, code.data(), -1, x.data(), absmax.data(), 3, q.data(), 4, 9),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("negative code_len", "got -1");
    // The largest n: ceil(n / blocksize) does not overflow.
    CHECK_FAILS(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 4, q.data(), 1,
                                           INT64_MAX),
                BNB_ERR_INVALID_ARGUMENT);
    mentions("n = INT64_MAX", "= 9223372036854775807 for n = 9223372036854775807");
    untouched("n = INT64_MAX");
    // A longer absmax than needed is accepted.
    CHECK_OK(bnb_cpu_quantize_blockwise(BNB_F32, code.data(), 256, x.data(), absmax.data(), 4, q.data(), 4, 9));
    CHECK(absmax[3] == -7.0f, "the unused absmax entry was written: %g", absmax[3]);
    CHECK_OK(bnb_cpu_dequantize_blockwise(BNB_F32, code.data(), 256, q.data(), absmax.data(), 4, out.data(), 4, 9));
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
    test_bucket_search_matches_reference();
    test_bucket_index();
    test_roundtrips();
    test_special_blocks();
    test_bad_arguments();
    test_bad_sizes();
    test_center();
    return test::finish_program("bnb_cpu_tests");
}
