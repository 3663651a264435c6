// Tests of the requantization of 8-bit optimizer state: the search against a literal port of upstream's
// quantize_2D, and the GPU's step tables against the search.
#include "common/optim_math.h"
#include "optim_reference.h"

namespace {

using namespace optest;
using test::Random;

void test_search_matches_quantize_2d() {
    Maps maps;
    Random rng(11);
    std::vector<float> linear = test::linear_map();
    std::vector<float> half_linear(256);  // a code that does not end at 1 (the quantize_2D bound matters)
    for (int i = 0; i < 256; ++i) half_linear[i] = static_cast<float>(-0.5 + i / 255.0 * 0.9);
    const std::vector<float>* codes[] = {&maps.q1, &maps.q2, &linear, &half_linear};
    for (const std::vector<float>* code : codes) {
        bnb::optim::OptimCodeTable t;
        for (int j = 0; j < 256; ++j) bnb::optim::fill_optim_code_table(t, code->data(), j);
        const bnb::optim::TablePivots pv = bnb::optim::table_pivots(t);
        std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -1.0f, 2.0f, -2.0f, 1e-45f};
        for (int j = 0; j < 256; ++j) {
            const float mids[] = {(*code)[j],
                                  j < 255 ? ((*code)[j] + (*code)[j + 1]) * 0.5f : (1.0f + (*code)[j]) * 0.5f,
                                  j == 254 ? (1.0f + (*code)[j]) * 0.5f : (*code)[j]};
            for (float m : mids) {
                xs.push_back(m);
                xs.push_back(nextafterf(m, INFINITY));
                xs.push_back(nextafterf(m, -INFINITY));
            }
        }
        for (int i = 0; i < 200000; ++i) {
            xs.push_back(rng.uniform(-1.1f, 1.1f));
            xs.push_back(rng.normal() * 1e-4f);
        }
        for (float x : xs)
            for (bool is_signed : {true, false}) {
                const int want = quantize_2d(code->data(), is_signed, x);
                const int got = bnb::optim::search_code(t, pv, x);
                CHECK_OR_RETURN(got == want, "search_code(%a) = %d, quantize_2D<%d> gives %d", x, got, is_signed,
                                want);
            }
    }
}

// The GPU's step tables (common/optim_math.h), built as the GPU builds them, give the requantizers'
// codes: signed ones for sign-ordered books whose zero needs no sign fix (others must be all fallback),
// unsigned ones for every book; the fallback runs the search.
void test_step_tables() {
    using bnb::optim::SignedStateTable;
    using bnb::optim::UnsignedStateTable;
    Maps maps;
    Random rng(21);
    std::vector<float> linear = test::linear_map();
    std::vector<float> half_linear(256);
    for (int i = 0; i < 256; ++i) half_linear[i] = static_cast<float>(-0.5 + i / 255.0 * 0.9);
    std::vector<float> crowded = maps.q1;  // two codes one ulp apart
    crowded[200] = nextafterf(crowded[199], INFINITY);
    std::vector<float> dense(256);  // 256 codes in [0.5, 0.6]: many steps per bucket
    for (int i = 0; i < 256; ++i) dense[i] = 0.5f + i * (0.1f / 255);
    std::vector<float> shuffled = maps.q1;  // not sign-ordered
    std::swap(shuffled[3], shuffled[250]);
    std::vector<float> no_zero = linear;  // R(+0) lands on a negative code
    no_zero[127] = -1e-3f;
    struct Book {
        const std::vector<float>* code;
        bool signed_regular;
    };
    const Book books[] = {{&maps.q1, true},  {&maps.q2, true},      {&linear, true},   {&half_linear, true},
                          {&crowded, true},  {&dense, true},        {&shuffled, false}, {&no_zero, false}};
    for (const Book& book : books) {
        const float* code = book.code->data();
        bnb::optim::OptimCodeTable table;
        bool ordered = true;
        uint32_t negatives = 0;
        for (int j = 0; j < 256; ++j) {
            bnb::optim::fill_optim_code_table(table, code, j);
            ordered = ordered && bnb::optim::sign_ordered_at(code, j);
            negatives += bnb::optim::negative(code[j]);
        }
        const bnb::optim::TablePivots pv = bnb::optim::table_pivots(table);
        const bool regular = bnb::optim::signed_table_regular(table, pv, ordered, negatives);
        CHECK_OR_RETURN(regular == book.signed_regular, "code book %td: signed table regular = %d, expected %d",
                        &book - books, regular, book.signed_regular);
        std::vector<uint32_t> first(SignedStateTable::kEntries), second(UnsignedStateTable::kEntries);
        int64_t falls = 0;
        for (int i = 0; i < SignedStateTable::kEntries; ++i) {
            first[i] = bnb::optim::signed_state_entry(table, pv, regular, i);
            falls += first[i] == bnb::kStepFallback;
        }
        for (int i = 0; i < UnsignedStateTable::kEntries; ++i)
            second[i] = bnb::optim::unsigned_state_entry(table, pv, i);
        CHECK(book.code != &maps.q1 || falls == 2,
              "signed dynamic map: %lld fallback entries (expected the 2 huge ones)",
              static_cast<long long>(falls));
        std::vector<float> xs = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1.0f, -1.0f, 2.0f, -2.0f, 1e30f, -1e30f,
                                 1e-45f, -1e-45f, FLT_MIN, -FLT_MIN};
        for (int k = 1; k <= 255; ++k) {
            const float mid = k < 255 ? (code[k - 1] + code[k]) * 0.5f : (1.0f + code[254]) * 0.5f;
            for (float m : {code[k - 1], code[k], mid, -mid})
                for (float y : {m, nextafterf(m, INFINITY), nextafterf(m, -INFINITY)}) xs.push_back(y);
        }
        auto edges = [&](auto shape, const std::vector<uint32_t>& entries) {  // bucket edges and steps
            using Shape = decltype(shape);
            for (int i = 0; i < Shape::kEntries; ++i) {
                uint32_t lo, hi;
                bool regular_bucket, huge;
                Shape::bucket_keys(i, &lo, &hi, &regular_bucket, &huge);
                const uint32_t off = Shape::entry_step(entries[i]);
                for (uint32_t k : {lo, hi, lo + 1, hi - 1}) xs.push_back(bnb::key_float(k));
                if (entries[i] != bnb::kStepFallback && off < Shape::kNever)
                    for (uint32_t k : {lo + off - 1, lo + off}) xs.push_back(bnb::key_float(k));
            }
        };
        edges(SignedStateTable{}, first);
        edges(UnsignedStateTable{}, second);
        for (int i = 0; i < 300000; ++i) {
            xs.push_back(rng.uniform(-1.05f, 1.05f));
            xs.push_back(rng.normal() * 1e-4f);
            xs.push_back(bnb::bits_float(rng.bits()));
        }
        // The kernel's view: states x with 1 / absmax inv, looked up at y = x * inv, eight at a time.
        const float invs[] = {1.0f, 0.5f, 3.0f, 1e-30f, 1e30f, 0.0f, INFINITY};
        for (size_t at = 0; at < xs.size(); at += 8) {
            float x[8];
            for (int k = 0; k < 8; ++k) x[k] = xs[std::min(at + k, xs.size() - 1)];
            for (float inv : invs) {
                float y[8];
                for (int k = 0; k < 8; ++k) y[k] = x[k] * inv;
                uint32_t a[8], b[8];
                bnb::step_lookup<SignedStateTable>(first.data(), y, a, [&](int k) -> uint32_t {
                    return bnb::optim::signed_state_fallback(table, bnb::optim::nan_code_info(code[0]), x[k], inv);
                });
                bnb::step_lookup<UnsignedStateTable>(second.data(), y, b, [&](int k) -> uint32_t {
                    return bnb::optim::unsigned_state_fallback(table, x[k], inv);
                });
                for (int k = 0; k < 8; ++k) {
                    const uint32_t want_a = bnb::optim::requantize_signed(table, pv, x[k], inv);
                    const uint32_t want_b = bnb::optim::requantize_unsigned(table, pv, x[k], inv);
                    CHECK_OR_RETURN(a[k] == want_a, "code book %td: signed table at x=%a inv=%a: %u, search %u",
                                    &book - books, x[k], inv, a[k], want_a);
                    CHECK_OR_RETURN(b[k] == want_b, "code book %td: unsigned table at x=%a inv=%a: %u, search %u",
                                    &book - books, x[k], inv, b[k], want_b);
                    CHECK_OR_RETURN(static_cast<int>(want_b) == quantize_2d(code, false, x[k] * inv),
                                    "code book %td: search differs from quantize_2D at %a", &book - books, x[k] * inv);
                }
            }
        }
    }
}

}  // namespace

int main() {
    test_search_matches_quantize_2d();
    test_step_tables();
    return test::finish_program("bnb_optim_requantize_tests");
}
