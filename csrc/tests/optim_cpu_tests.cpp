// Tests of bnb_cpu_optimizer_step: every rule, dtype and state width against a plain reference written
// from the spec (§3.15, §3.16; optim_reference.h), and the special paths: skip_zeros, NaN gradients,
// percentile clipping, the update-norm cap, several tensors in one call, and argument checks. The
// requantization itself: optim_requantize_tests.cpp.
#include "common/optim_math.h"
#include "optim_reference.h"

namespace {

using namespace optest;
using test::Random;

// ---- tests ----------------------------------------------------------------------------------------

// One step of every rule, dtype and width, with and without weight decay, over several tensors in one
// call (with tails and an empty tensor), against the reference.
void test_rules() {
    Maps maps;
    Random rng(12);
    const int64_t sizes[] = {1, 255, 256, 257, 1000, 0, 4096 + 17};
    const int32_t steps[] = {1, 2, 7, 3, 1, 5, 11};
    for (int32_t bits : {32, 8})
        for (int32_t opt : kAllOptimizers)
            for (int32_t dtype : kAllDtypes)
                for (int variant = 0; variant < 3; ++variant) {
                    // 0: plain; 1: weight decay; 2: weight decay and percentile clipping that clips.
                    const float wd = variant > 0 ? 0.01f : 0.0f;
                    Config c;
                    c.opt = opt;
                    c.dtype = dtype;
                    c.bits = bits;
                    c.weight_decay = wd;
                    c.percentile = variant == 2 ? 20 : 100;
                    if (opt == BNB_OPTIM_LION) c.beta2 = 0.99f;
                    if (opt == BNB_OPTIM_RMSPROP) c.beta1 = 0.99f;
                    std::vector<Slot> slots;
                    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k)
                        slots.push_back(make_slot(c, sizes[k], steps[k], rng));
                    if (variant == 2)  // a history of small norms: this step's norm is clipped
                        for (Slot& s : slots)
                            for (float& h : s.gnorm) h *= 1e-4f;
                    std::vector<Slot> before = slots;
                    CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
                    char label[128];
                    for (size_t k = 0; k < slots.size(); ++k) {
                        snprintf(label, sizeof label, "%s %s %d-bit wd=%g pct=%d n=%lld step=%d", opt_name(opt),
                                 dtype_label(dtype), bits, wd, c.percentile, (long long)sizes[k], steps[k]);
                        float gs = 1.0f;
                        if (variant == 2 && sizes[k] > 0) {
                            std::vector<float> hist;
                            gs = expected_clip_scale(c, before[k], &hist);
                            CHECK(slots[k].gnorm == hist, "%s: gradient-norm history differs", label);
                            if (steps[k] > 1) CHECK(gs < 1.0f, "%s: should clip, scale %g", label, gs);
                        }
                        check_slot(c, before[k], slots[k], maps.q1.data(), maps.q2.data(), label, gs);
                    }
                }
}

// The same tensors stepped one call each give the same bits as one call for all.
void test_multi_tensor_equals_single() {
    Maps maps;
    Random rng(13);
    for (int32_t bits : {32, 8})
        for (int32_t opt : {BNB_OPTIM_ADAM, BNB_OPTIM_ADEMAMIX, BNB_OPTIM_LION, BNB_OPTIM_LARS}) {
            Config c;
            c.opt = opt;
            c.bits = bits;
            c.dtype = BNB_BF16;
            c.weight_decay = 0.01f;
            c.percentile = 10;
            c.max_unorm = opt == BNB_OPTIM_LARS ? 0.02f : 0.0f;
            std::vector<Slot> all;
            for (int64_t n : {300, 1, 70000, 512}) all.push_back(make_slot(c, n, 3, rng));
            std::vector<Slot> single = all;
            CHECK_OK(cpu_step(c, all, maps.q1.data(), maps.q2.data()));
            for (Slot& s : single) {
                std::vector<Slot> one{s};
                CHECK_OK(cpu_step(c, one, maps.q1.data(), maps.q2.data()));
                s = one[0];
            }
            for (size_t k = 0; k < all.size(); ++k) {
                CHECK(all[k].p == single[k].p && all[k].s1 == single[k].s1 && all[k].s2 == single[k].s2 &&
                          all[k].a1 == single[k].a1 && all[k].a2 == single[k].a2 &&
                          all[k].gnorm == single[k].gnorm && all[k].scratch == single[k].scratch,
                      "%s %d-bit: tensor %zu differs between one call for all and one call each", opt_name(opt),
                      bits, k);
            }
        }
}

// skip_zeros: elements with g == 0 keep their parameter and (32-bit) state exactly; 8-bit state keeps
// its value up to requantization with the block's new absmax.
void test_skip_zeros() {
    Maps maps;
    Random rng(14);
    for (int32_t bits : {32, 8})
        for (int32_t opt : kAllOptimizers) {
            Config c;
            c.opt = opt;
            c.bits = bits;
            c.skip_zeros = 1;
            c.weight_decay = 0.01f;
            std::vector<Slot> slots{make_slot(c, 1000, 4, rng)};
            for (int64_t i = 0; i < 1000; i += 3) store_param(c.dtype, slots[0].g.data(), i, 0.0f);
            Slot before = slots[0];
            CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
            char label[64];
            snprintf(label, sizeof label, "%s %d-bit skip_zeros", opt_name(opt), bits);
            check_slot(c, before, slots[0], maps.q1.data(), maps.q2.data(), label);
            if (opt == BNB_OPTIM_ADEMAMIX) continue;  // AdEMAMix does not skip (upstream)
            for (int64_t i = 0; i < 1000; i += 3) {
                CHECK_OR_RETURN(memcmp(before.p.data() + 4 * i, slots[0].p.data() + 4 * i, 4) == 0,
                                "%s: p[%lld] changed", label, (long long)i);
                if (bits == 32) {
                    CHECK_OR_RETURN(memcmp(before.s1.data() + 4 * i, slots[0].s1.data() + 4 * i, 4) == 0,
                                    "%s: state1[%lld] changed", label, (long long)i);
                } else {
                    const int64_t b = i / kBlock;
                    const float old_value = maps.q1[before.s1[i]] * before.a1[b];
                    const float new_value = maps.q1[slots[0].s1[i]] * slots[0].a1[b];
                    CHECK_OR_RETURN(fabsf(new_value - old_value) <= 0.1f * fabsf(old_value) + 0.02f * slots[0].a1[b],
                                    "%s: state1[%lld] went from %g to %g", label, (long long)i, old_value, new_value);
                }
            }
        }
}

// 8-bit two-state: a NaN or infinite gradient zeroes the element's states and leaves p as it was.
void test_nan_gradient_8bit() {
    Maps maps;
    Random rng(15);
    for (int32_t opt : {BNB_OPTIM_ADAM, BNB_OPTIM_ADEMAMIX})
        for (int32_t dtype : kAllDtypes) {
            Config c;
            c.opt = opt;
            c.bits = 8;
            c.dtype = dtype;
            c.weight_decay = 0.01f;
            std::vector<Slot> slots{make_slot(c, 600, 2, rng)};
            const float specials[] = {NAN, INFINITY, -INFINITY};
            for (int64_t i = 5, k = 0; i < 600; i += 37, ++k) store_param(dtype, slots[0].g.data(), i, specials[k % 3]);
            Slot before = slots[0];
            CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
            char label[64];
            snprintf(label, sizeof label, "%s %s 8-bit NaN gradients", opt_name(opt), dtype_label(dtype));
            check_slot(c, before, slots[0], maps.q1.data(), maps.q2.data(), label);
            const int64_t ds = dtype_size(dtype);
            for (int64_t i = 5; i < 600; i += 37) {
                CHECK_OR_RETURN(memcmp(before.p.data() + ds * i, slots[0].p.data() + ds * i, ds) == 0,
                                "%s: p[%lld] changed", label, (long long)i);
                CHECK_OR_RETURN(maps.q1[slots[0].s1[i]] == 0.0f && maps.q2[slots[0].s2[i]] == 0.0f,
                                "%s: states of element %lld are codes %d, %d, not zero", label, (long long)i,
                                slots[0].s1[i], slots[0].s2[i]);
                if (opt == BNB_OPTIM_ADEMAMIX)
                    CHECK_OR_RETURN(maps.q1[slots[0].s1[600 + i]] == 0.0f, "%s: slow EMA of %lld not zero", label,
                                    (long long)i);
            }
        }
}

// An all-zero state block with zero gradients stays zero (0/0 in the requantization is harmless), and a
// tail block's padding lanes (codes 128 / 0) take part in the absmax as upstream's do.
void test_zero_and_tail_blocks() {
    Maps maps;
    Random rng(16);
    Config c;
    c.bits = 8;
    c.opt = BNB_OPTIM_MOMENTUM;
    std::vector<Slot> slots{make_slot(c, 300, 5, rng)};
    Slot& s = slots[0];
    for (int64_t i = 0; i < 300; ++i) {
        store_param(c.dtype, s.g.data(), i, 0.0f);
        s.s1[i] = 127;  // code 0.0
    }
    s.a1 = {0.0f, 3.0f};
    CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
    CHECK(s.a1[0] == 0.0f, "all-zero block: absmax %g", s.a1[0]);
    for (int64_t i = 0; i < 256; ++i)
        CHECK_OR_RETURN(maps.q1[s.s1[i]] * s.a1[0] == 0.0f, "zero block code %d", s.s1[i]);
    // Tail block: real lanes are 0, padding lanes decay code 128 (5.5e-7) * 3.0 by beta1.
    const float pad = maps.q1[128] * 3.0f * c.beta1;
    CHECK(s.a1[1] == pad, "tail block absmax %.9g, expected the padding lanes' %.9g", s.a1[1], pad);
}

// Percentile clipping: step 1 fills the whole history, later steps one slot; the gradient is scaled
// by clip / current, exactly as if the caller had passed the scaled gradient.
void test_percentile_clipping() {
    Maps maps;
    Random rng(17);
    for (int32_t bits : {32, 8}) {
        Config c;
        c.bits = bits;
        c.percentile = 5;
        std::vector<Slot> slots{make_slot(c, 5000, 1, rng), make_slot(c, 100, 1, rng)};
        Slot first = slots[0];
        CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
        double sum = 0.0;
        for (int64_t i = 0; i < 5000; ++i) {
            double g = load_param(c.dtype, first.g.data(), i);
            sum += g * g;
        }
        for (int h = 0; h < 100; ++h)
            CHECK_OR_RETURN(slots[0].gnorm[h] == static_cast<float>(sum), "step 1: gnorm[%d] = %.9g, expected %.9g", h,
                            slots[0].gnorm[h], static_cast<float>(sum));
        // Later steps: make the current norm large so that clipping applies.
        for (int step : {2, 3, 101}) {
            for (Slot& s : slots) {
                s.step = step;
                for (int64_t i = 0; i < s.n; ++i)
                    store_param(c.dtype, s.g.data(), i, rng.normal() * (step == 3 ? 10.0f : 0.1f));
            }
            std::vector<Slot> before = slots;
            CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
            for (size_t k = 0; k < slots.size(); ++k) {
                const Slot& s = slots[k];
                double sq = 0.0;
                for (int64_t i = 0; i < s.n; ++i) {
                    double g = load_param(c.dtype, before[k].g.data(), i);
                    sq += g * g;
                }
                std::vector<float> hist = before[k].gnorm;
                hist[step % 100] = static_cast<float>(sq);
                CHECK(s.gnorm == hist, "%d-bit step %d: gradient-norm history not as expected", bits, step);
                std::vector<float> sorted = hist;
                std::sort(sorted.begin(), sorted.end());
                const float current = sqrtf(hist[step % 100]), clip = sqrtf(sorted[c.percentile]);
                const float scale = current > clip ? clip / current : 1.0f;
                if (step == 3) CHECK(scale < 1.0f, "step 3 should clip (current %g, clip %g)", current, clip);
                // Same bits as an unclipped step on the pre-scaled gradient.
                Config plain = c;
                plain.percentile = 100;
                std::vector<Slot> alt{before[k]};
                for (int64_t i = 0; i < s.n; ++i) {
                    float g = load_param(c.dtype, alt[0].g.data(), i);
                    store_param(c.dtype, alt[0].g.data(), i, g * scale);
                }
                CHECK_OK(cpu_step(plain, alt, maps.q1.data(), maps.q2.data()));
                if (bits == 32)
                    CHECK(alt[0].p == s.p && alt[0].s1 == s.s1 && alt[0].s2 == s.s2,
                          "%d-bit step %d tensor %zu: clipped step differs from a step on the scaled gradient", bits,
                          step, k);
                else
                    CHECK(alt[0].a1 == s.a1 && alt[0].a2 == s.a2,
                          "8-bit step %d tensor %zu: clipped step differs from a step on the scaled gradient", step, k);
            }
        }
    }
}

// The update-norm cap: scratch gets sum u^2 and sum p^2, and the step is scaled by u_s.
void test_max_unorm() {
    Maps maps;
    Random rng(18);
    for (int32_t bits : {32, 8})
        for (int32_t opt : {BNB_OPTIM_LAMB, BNB_OPTIM_LARS, BNB_OPTIM_RMSPROP, BNB_OPTIM_ADAGRAD, BNB_OPTIM_ADEMAMIX}) {
            Config c;
            c.opt = opt;
            c.bits = bits;
            c.max_unorm = opt == BNB_OPTIM_LARS ? 0.002f : 0.01f;
            // A large eps for the one-state rules: their cap is max_unorm * ||p|| + eps.
            c.eps = opt == BNB_OPTIM_LARS ? 0.0f : two_state(opt) ? 1e-8f : 0.05f;
            std::vector<Slot> slots{make_slot(c, 3000, 3, rng), make_slot(c, 7, 2, rng)};
            std::vector<Slot> before = slots;
            CHECK_OK(cpu_step(c, slots, maps.q1.data(), maps.q2.data()));
            for (size_t k = 0; k < slots.size(); ++k) {
                const Slot& b = before[k];
                Expected e = reference(c, b, maps.q1.data(), maps.q2.data());  // unscaled update
                // u per rule, from the state before the step (spec §3.15 pre-pass, no weight decay).
                double usum = 0.0, psum = 0.0;
                const float c1 = 1.0f - powf(c.beta1, b.step), c2 = 1.0f - powf(c.beta2, b.step);
                for (int64_t i = 0; i < b.n; ++i) {
                    const float p = load_param(c.dtype, b.p.data(), i), g = load_param(c.dtype, b.g.data(), i);
                    psum += static_cast<double>(p) * p;
                    float m, v = 0.0f;
                    if (bits == 32) {
                        memcpy(&m, b.s1.data() + 4 * i, 4);
                        if (two_state(opt)) memcpy(&v, b.s2.data() + 4 * i, 4);
                    } else {
                        m = maps.q1[b.s1[i]] * b.a1[i / kBlock];
                        if (two_state(opt)) v = maps.q2[b.s2[i]] * b.a2[i / kBlock];
                    }
                    double u = 0.0;
                    if (opt == BNB_OPTIM_LAMB) {
                        m = c.beta1 * m + (1 - c.beta1) * g;
                        v = c.beta2 * v + (1 - c.beta2) * g * g;
                        u = (m / c1) / (sqrtf(v / c2) + c.eps);
                    } else if (opt == BNB_OPTIM_LARS) {
                        u = b.step == 1 ? g : c.beta1 * m + g;
                    } else if (opt == BNB_OPTIM_RMSPROP) {
                        u = g / (sqrtf(c.beta1 * m + (1 - c.beta1) * g * g) + c.eps);
                    } else if (opt == BNB_OPTIM_ADAGRAD) {
                        u = g / (sqrtf(m + g * g) + c.eps);
                    }
                    usum += u * u;
                }
                char label[64];
                snprintf(label, sizeof label, "%s %d-bit max_unorm tensor %zu", opt_name(opt), bits, k);
                CHECK(close(slots[k].scratch[0], static_cast<float>(usum), 1e-4f, 1e-30f),
                      "%s: scratch[0] = %.9g, expected %.9g", label, slots[k].scratch[0], usum);
                CHECK(close(slots[k].scratch[1], static_cast<float>(psum), 1e-6f, 0.0f),
                      "%s: scratch[1] = %.9g, expected %.9g", label, slots[k].scratch[1], psum);
                const double limit = c.max_unorm * sqrt(psum) + (two_state(opt) ? 0.0 : c.eps);
                float us = sqrt(usum) > limit ? static_cast<float>(limit / sqrt(usum)) : 1.0f;
                if (opt == BNB_OPTIM_ADAGRAD || opt == BNB_OPTIM_ADEMAMIX) us = 1.0f;  // no update scale
                if (k == 0 && opt != BNB_OPTIM_ADAGRAD && opt != BNB_OPTIM_ADEMAMIX)
                    CHECK(us < 1.0f, "%s: the cap should apply (u_s = %g)", label, us);
                Expected scaled = reference(c, b, maps.q1.data(), maps.q2.data(), 1.0f, us);
                for (int64_t i = 0; i < b.n; ++i) {
                    const float got = load_param(c.dtype, slots[k].p.data(), i);
                    const float p0 = load_param(c.dtype, b.p.data(), i);
                    CHECK_OR_RETURN(close(got - p0, scaled.p[i] - p0, 1e-3f, 1e-9f),
                                    "%s: p[%lld] moved by %.9g, expected %.9g (unscaled %.9g)", label, (long long)i,
                                    got - p0, scaled.p[i] - p0, e.p[i] - p0);
                }
            }
        }
}

// Every rejected call names the argument, returns the right status and writes nothing.
void test_bad_arguments() {
    Maps maps;
    Random rng(19);
    Config c;
    c.bits = 8;
    c.max_unorm = 1.0f;
    c.percentile = 50;
    std::vector<Slot> slots{make_slot(c, 1000, 2, rng), make_slot(c, 10, 1, rng)};
    const std::vector<Slot> pristine = slots;
    Arrays a = arrays_of(slots);
    const float* q1 = maps.q1.data();
    const float* q2 = maps.q2.data();
    auto call = [&](int32_t opt, int32_t dtype, int32_t bits, int32_t count, Arrays& x, const float* m1,
                    const float* m2, float max_unorm, int32_t percentile) {
        bnb_optim_tensors t = tensors_of(x);
        t.count = count;
        const bnb_optim_hparams h{1e-3f, 0.9f, 0.999f, 0.9999f, 5.0f, 1e-8f, 0.0f, max_unorm, percentile, 0};
        return bnb_cpu_optimizer_step(opt, dtype, bits, &t, m1, m2, &h);
    };
    auto unchanged = [&](const char* what) {
        for (size_t k = 0; k < slots.size(); ++k)
            CHECK(slots[k].p == pristine[k].p && slots[k].s1 == pristine[k].s1 && slots[k].s2 == pristine[k].s2 &&
                      slots[k].a1 == pristine[k].a1 && slots[k].a2 == pristine[k].a2 &&
                      slots[k].scratch == pristine[k].scratch && slots[k].gnorm == pristine[k].gnorm,
                  "%s changed tensor %zu", what, k);
    };
    auto expect = [&](bnb_status got, bnb_status want, const char* what, const char* mention) {
        CHECK(got == want, "%s: status %d, expected %d (%s)", what, got, want, bnb_last_error());
        CHECK(test::has_file_line(bnb_last_error()), "%s: error \"%s\" lacks file:line", what, bnb_last_error());
        CHECK(strstr(bnb_last_error(), mention) != nullptr, "%s: error \"%s\" does not mention \"%s\"", what,
              bnb_last_error(), mention);
        unchanged(what);
    };
    expect(call(9, BNB_F32, 8, 2, a, q1, q2, 1.0f, 50), BNB_ERR_UNSUPPORTED, "optimizer 9", "optimizer 9");
    expect(call(-1, BNB_F32, 8, 2, a, q1, q2, 1.0f, 50), BNB_ERR_UNSUPPORTED, "optimizer -1", "optimizer -1");
    expect(call(BNB_OPTIM_ADAM, BNB_U8, 8, 2, a, q1, q2, 1.0f, 50), BNB_ERR_UNSUPPORTED, "dtype U8", "param_dtype 3");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 16, 2, a, q1, q2, 1.0f, 50), BNB_ERR_UNSUPPORTED, "state_bits 16",
           "state_bits 16");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, -1, a, q1, q2, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "count -1", "count");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, a, q1, q2, 1.0f, 0), BNB_ERR_INVALID_ARGUMENT, "percentile 0",
           "percentile");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, a, q1, q2, 1.0f, 101), BNB_ERR_INVALID_ARGUMENT, "percentile 101",
           "percentile");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, a, q1, q2, -1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "max_unorm -1",
           "max_unorm");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, a, nullptr, q2, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "qmap1 NULL",
           "qmap1");
    expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, a, q1, nullptr, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "qmap2 NULL",
           "qmap2");
    const char* names[] = {"p", "g", "state1", "state2", "absmax1", "absmax2", "scratch", "gnorm"};
    for (int f = 0; f < 8; ++f) {
        // A zero address in the second tensor: the first must not have been updated either.
        Arrays x = a;
        std::vector<int64_t>* fields[] = {&x.p, &x.g, &x.s1, &x.s2, &x.a1, &x.a2, &x.scratch, &x.gnorm};
        (*fields[f])[1] = 0;
        char what[64];
        snprintf(what, sizeof what, "%s[1] = 0", names[f]);
        char mention[32];
        snprintf(mention, sizeof mention, "%s[1]", names[f]);
        expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, x, q1, q2, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, what, mention);
    }
    {
        Arrays x = a;
        x.numel[1] = -5;
        expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, x, q1, q2, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "numel -5",
               "numel[1]");
        x = a;
        x.step[1] = 0;
        expect(call(BNB_OPTIM_ADAM, BNB_F32, 8, 2, x, q1, q2, 1.0f, 50), BNB_ERR_INVALID_ARGUMENT, "step 0", "step[1]");
    }
    // NULL arrays.
    auto null_array = [&](int which, const char* mention) {
        const int64_t* arrays[10] = {a.p.data(), a.g.data(), a.s1.data(), a.s2.data(), a.a1.data(),
                                     a.a2.data(), a.scratch.data(), a.gnorm.data(), a.numel.data(), nullptr};
        arrays[which] = nullptr;
        const bnb_optim_tensors t{2,         arrays[0], arrays[1], arrays[2], arrays[3], arrays[4],
                                  arrays[5], arrays[6], arrays[7], arrays[8], which == 9 ? nullptr : a.step.data()};
        const bnb_optim_hparams h{1e-3f, 0.9f, 0.999f, 0.0f, 0.0f, 1e-8f, 0.0f, 1.0f, 50, 0};
        bnb_status st = bnb_cpu_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 8, &t, q1, q2, &h);
        char what[64];
        snprintf(what, sizeof what, "NULL %s array", mention);
        expect(st, BNB_ERR_INVALID_ARGUMENT, what, mention);
    };
    const char* array_names[] = {"p",       "g",       "state1",  "state2", "absmax1",
                                 "absmax2", "scratch", "gnorm",   "numel",  "step"};
    for (int w = 0; w < 10; ++w) null_array(w, array_names[w]);
    // What is not needed may be NULL: one-state 32-bit without cap or clipping.
    Config one;
    one.opt = BNB_OPTIM_MOMENTUM;
    std::vector<Slot> s1{make_slot(one, 100, 1, rng)};
    Arrays b = arrays_of(s1);
    const bnb_optim_hparams plain{0.01f, 0.9f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 100, 0};
    const bnb_optim_tensors needed{1,       b.p.data(), b.g.data(), b.s1.data(), nullptr,       nullptr,
                                   nullptr, nullptr,    nullptr,    b.numel.data(), b.step.data()};
    CHECK_OK(bnb_cpu_optimizer_step(BNB_OPTIM_MOMENTUM, BNB_F32, 32, &needed, nullptr, nullptr, &plain));
    const bnb_optim_tensors none{0, nullptr, nullptr, nullptr, nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr, nullptr};
    CHECK_OK(bnb_cpu_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 32, &none, nullptr, nullptr, &plain));
    // The structs themselves.
    const bnb_optim_tensors both = tensors_of(a);
    const bnb_optim_hparams h{1e-3f, 0.9f, 0.999f, 0.0f, 0.0f, 1e-8f, 0.0f, 1.0f, 50, 0};
    expect(bnb_cpu_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 8, nullptr, q1, q2, &h), BNB_ERR_INVALID_ARGUMENT,
           "NULL tensors", "tensors must not be NULL");
    expect(bnb_cpu_optimizer_step(BNB_OPTIM_ADAM, BNB_F32, 8, &both, q1, q2, nullptr), BNB_ERR_INVALID_ARGUMENT,
           "NULL hparams", "hparams must not be NULL");
}

// Several steps of 8-bit Adam stay close to 32-bit Adam (the quantization round trip works).
void test_8bit_tracks_32bit() {
    Maps maps;
    Random rng(20);
    Config c32, c8;
    c8.bits = 8;
    std::vector<Slot> a{make_slot(c32, 4096, 1, rng)}, b{make_slot(c8, 4096, 1, rng)};
    for (auto* s : {&a[0], &b[0]}) {
        std::fill(s->s1.begin(), s->s1.end(), s == &a[0] ? 0 : 127);
        std::fill(s->s2.begin(), s->s2.end(), 0);
        std::fill(s->a1.begin(), s->a1.end(), 0.0f);
        std::fill(s->a2.begin(), s->a2.end(), 0.0f);
    }
    b[0].p = a[0].p;
    for (int step = 1; step <= 20; ++step) {
        for (int64_t i = 0; i < 4096; ++i) store_param(BNB_F32, a[0].g.data(), i, rng.normal() * 0.01f + 0.001f);
        b[0].g = a[0].g;
        a[0].step = b[0].step = step;
        CHECK_OK(cpu_step(c32, a, maps.q1.data(), maps.q2.data()));
        CHECK_OK(cpu_step(c8, b, maps.q1.data(), maps.q2.data()));
    }
    double err = 0.0, moved = 0.0;
    for (int64_t i = 0; i < 4096; ++i) {
        const float pa = load_param(BNB_F32, a[0].p.data(), i), pb = load_param(BNB_F32, b[0].p.data(), i);
        err = std::max(err, static_cast<double>(fabsf(pa - pb)));
        moved = std::max(moved, static_cast<double>(fabsf(pa)));
    }
    CHECK(err < 20 * 1e-3 * 0.05, "20 steps of Adam8bit drifted %g from Adam32bit", err);
}

}  // namespace

int main() {
    test_rules();
    test_multi_tensor_equals_single();
    test_skip_zeros();
    test_nan_gradient_8bit();
    test_zero_and_tail_blocks();
    test_percentile_clipping();
    test_max_unorm();
    test_bad_arguments();
    test_8bit_tracks_32bit();
    return test::finish_program("bnb_optim_cpu_tests");
}
