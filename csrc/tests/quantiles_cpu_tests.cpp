// Tests of bnb_cpu_estimate_quantiles against the reference of quantile_reference.h, and of its argument checks.
#include "common/quantile_plan.h"
#include "common/quantile_select.h"
#include "quantile_reference.h"

namespace {

const int32_t kDtypes[] = {BNB_F32, BNB_F16, BNB_BF16};

const char* dtype_label(int32_t dtype) { return dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16"; }

void check_against_reference(int32_t dtype, int64_t n, float offset, int num_quantiles, bool specials) {
    const std::vector<uint8_t> a = test::quantile_input(dtype, n, static_cast<uint64_t>(n) * 7 + dtype, specials);
    const std::vector<float> expected = test::reference_quantiles(dtype, a, n, offset, num_quantiles);
    std::vector<float> out(num_quantiles + 1, 12345.0f);
    CHECK_OK(bnb_cpu_estimate_quantiles(dtype, a.data(), out.data(), offset, num_quantiles, n));
    CHECK(out[num_quantiles] == 12345.0f, "wrote past out[%d]", num_quantiles);
    for (int j = 0; j < num_quantiles; ++j)
        CHECK_OR_RETURN(test::same_float(out[j], expected[j]),
                        "%s n=%lld offset=%g k=%d: out[%d] = %.9g, expected %.9g", dtype_label(dtype),
                        static_cast<long long>(n), offset, num_quantiles, j, out[j], expected[j]);
}

void test_sizes_and_dtypes() {
    // One partial chunk, exactly one chunk, a skipped tail, several chunks, more than one group of 64.
    const int64_t sizes[] = {256, 257, 4095, 4096, 4097, 3 * 4096 + 5, 64 * 4096, 131 * 4096 + 17};
    for (int32_t dtype : kDtypes)
        for (int64_t n : sizes) {
            check_against_reference(dtype, n, 1.0f / 512, 256, false);
            check_against_reference(dtype, n, 1.0f / 512, 256, true);
        }
}

void test_offsets_and_counts() {
    const int counts[] = {1, 2, 3, 7, 15, 16, 127, 255, 256};
    for (int k : counts) check_against_reference(BNB_F32, 5 * 4096 + 3, 1.0f / (2 * k), k, false);
    check_against_reference(BNB_BF16, 4096, 0.02f, 256, true);
    check_against_reference(BNB_F16, 3841, 0.5f, 256, false);
}

// Closed forms: the quantiles of a chunk holding 0..4095 in order are their pick positions, and every chunk
// of a repeated pattern gives the same picks, so the mean is exact.
void test_closed_form() {
    const int64_t n = 3 * 4096;
    std::vector<float> a(n);
    for (int64_t i = 0; i < n; ++i) a[i] = static_cast<float>((i * 2654435761u) % 4096);  // a permutation per chunk
    std::vector<float> out(256);
    CHECK_OK(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 1.0f / 512, 256, n));
    CHECK(out[0] == 8.0f, "first pick of 0..4095 at offset 1/512: %g, expected round(4095/512) = 8", out[0]);
    CHECK(out[255] == 4087.0f, "last pick: %g, expected round(4095 * 511/512) = 4087", out[255]);
    for (int i = 1; i < 256; ++i) CHECK_OR_RETURN(out[i] > out[i - 1], "not increasing at %d", i);
    // The median alone: offset 1/2 puts every position at round(0.5 * 4095) = 2048.
    float median = 0.0f;
    CHECK_OK(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), &median, 0.5f, 1, n));
    CHECK(median == 2048.0f, "median: %g", median);
}

// The CUDA kernel's pick from a chunk sorted by the high key bits only (common/quantile_select.h) against the
// full sort: every position of 4096-key chunks of normal data, of bf16 values held in f32 (runs of equal keys),
// of data in narrow ranges (runs of about 8 keys from bit 12, of 64 or more, refused, from bit 16 or in a narrower
// range) and of a constant (refused: the kernel then sorts all bits).
enum class Refusals { kNone, kSome };

template <int kFrom>
void check_select_in_run(const std::vector<float>& values, const char* what, Refusals expected) {
    std::vector<uint32_t> keys(values.size());
    for (size_t i = 0; i < values.size(); ++i) keys[i] = bnb::QuantileKey<BNB_F32>::key(bnb::float_bits(values[i]));
    std::vector<uint32_t> full = keys, high = keys;
    std::sort(full.begin(), full.end());
    std::stable_sort(high.begin(), high.end(), [](uint32_t x, uint32_t y) { return (x >> kFrom) < (y >> kFrom); });
    const int valid = static_cast<int>(keys.size());
    int refused = 0;
    for (int p = 0; p < valid; ++p) {
        uint32_t got = 0;
        if (!bnb::select_in_run<kFrom>(high.data(), valid, p, &got)) {
            ++refused;
            continue;
        }
        CHECK_OR_RETURN(got == full[p], "%s from bit %d: rank %d gives key %08x, the full sort %08x", what, kFrom, p,
                        got, full[p]);
    }
    if (expected == Refusals::kNone)
        CHECK(refused == 0, "%s from bit %d: %d picks refused", what, kFrom, refused);
    else
        CHECK(refused > 0, "%s from bit %d: no pick refused", what, kFrom);
}

void test_select_in_run() {
    test::Random rng(11);
    std::vector<float> normal(4096), narrow(4096), long_runs(4096), bf16(4096), constant(4096, 3.0f);
    for (int i = 0; i < 4096; ++i) {
        normal[i] = rng.normal();
        narrow[i] = 1.0f + rng.uniform(0.0f, 0x1p-2f);
        long_runs[i] = 1.0f + rng.uniform(0.0f, 0x1p-10f);
        bf16[i] = bnb::bits_float(bnb::float_bits(rng.normal()) & 0xffff0000u);
    }
    for (auto* check : {check_select_in_run<12>, check_select_in_run<16>}) {
        check(normal, "normal", Refusals::kNone);
        check(bf16, "bf16 values", Refusals::kNone);
        check(constant, "constant", Refusals::kSome);
        check(long_runs, "long runs", Refusals::kSome);
    }
    check_select_in_run<12>(narrow, "narrow", Refusals::kNone);
    check_select_in_run<16>(narrow, "narrow", Refusals::kSome);
}

void test_bad_arguments() {
    std::vector<float> a(4096, 1.0f), out(256);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 1.0f / 512, 256, 255),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "n must be >= 256") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 0.0f, 256, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "offset must be in (0, 0.5]") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 0.51f, 256, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), NAN, 256, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 0.1f, 0, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "num_quantiles must be in [1, 256], got 0") != nullptr, "message: %s",
          bnb_last_error());
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), out.data(), 0.1f, 257, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, nullptr, out.data(), 0.1f, 256, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_F32, a.data(), nullptr, 0.1f, 256, 4096), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cpu_estimate_quantiles(BNB_U8, a.data(), out.data(), 0.1f, 256, 4096), BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "BNB_U8") != nullptr, "message: %s", bnb_last_error());
}

}  // namespace

int main() {
    test_sizes_and_dtypes();
    test_offsets_and_counts();
    test_closed_form();
    test_select_in_run();
    test_bad_arguments();
    return test::finish_program("bnb_quantiles_cpu_tests");
}
