// Checks the CUDA plugin against libbnb_cpu: quantization results must be bit-identical, and the
// memory, stream and event wrappers must work and fail as bnb.h says. Usage:
//   bnb_cuda_tests PATH_TO_libbnb_cudaXY.so [--large]
// Without a GPU it reports that it skipped and succeeds. --large adds a run with n > 2^31.
#include <chrono>

#include "common/quant_search.h"
#include "common/half_convert.h"
#include "test_util.h"

namespace {

using test::Random;

// A device buffer of the C API, freed on scope exit.
struct DeviceBuffer {
    void* ptr = nullptr;
    explicit DeviceBuffer(int64_t bytes) { CHECK_OK(bnb_cuda_malloc(0, bytes, &ptr)); }
    ~DeviceBuffer() { CHECK_OK(bnb_cuda_free(0, ptr)); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    template <typename T>
    T* at(int64_t byte_offset = 0) const { return reinterpret_cast<T*>(static_cast<char*>(ptr) + byte_offset); }
};

void upload(void* dst, const void* src, int64_t bytes) {
    CHECK_OK(bnb_cuda_memcpy(dst, src, bytes, BNB_COPY_HOST_TO_DEVICE, nullptr));
}

void download(void* dst, const void* src, int64_t bytes) {
    CHECK_OK(bnb_cuda_memcpy(dst, src, bytes, BNB_COPY_DEVICE_TO_HOST, nullptr));
    CHECK_OK(bnb_cuda_stream_synchronize(nullptr));
}

size_t dtype_size(int32_t dtype) { return dtype == BNB_F32 ? 4 : 2; }

// Random data in dtype: normal values with a scale per 64 elements, and a few zero blocks, NaNs and
// infinities. Cheap enough for billions of elements: a counter hashed into two uniforms.
// With tiny, every 11th group of 64 is scaled by 1e-38: subnormal block maxima (f32, bf16), whose
// inverse is inf, so that the search sees +-inf.
std::vector<uint8_t> make_input(int32_t dtype, int64_t n, uint64_t seed, bool specials, bool tiny = false) {
    std::vector<uint8_t> a(n * dtype_size(dtype));
    const float scales[9] = {1e-4f, 1e-3f, 1e-2f, 1e-1f, 1.0f, 1e1f, 1e2f, 1e3f, 1e4f};
    for (int64_t i = 0; i < n; ++i) {
        uint64_t h = (static_cast<uint64_t>(i) + seed) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 32;
        float u = static_cast<float>(h & 0xffffff) / 16777216.0f - 0.5f;
        float v = u * u * u * scales[(i / 64 + seed) % 9];
        if (specials) {
            int64_t block = i / 4096;
            if (block % 5 == 3) v = 0.0f;
            if (i % 99991 == 7) v = NAN;
            if (i % 199999 == 11) v = -INFINITY;
        }
        if (tiny && (i / 64) % 11 == 4) v *= 1e-38f;
        if (dtype == BNB_F32) {
            memcpy(&a[i * 4], &v, 4);
        } else {
            uint16_t b = dtype == BNB_F16 ? bnb::float_to_half(v) : bnb::float_to_bf16(v);
            memcpy(&a[i * 2], &b, 2);
        }
    }
    return a;
}

// Quantizes and dequantizes on both sides and compares every byte. offset shifts the device input and
// outputs by that many elements (and bytes), to exercise the unaligned paths.
void compare_blockwise(int32_t dtype, int64_t n, int64_t bs, int offset, const std::vector<float>& code,
                       const std::vector<uint8_t>& a) {
    const size_t size = dtype_size(dtype);
    const int64_t blocks = (n + bs - 1) / bs;
    std::vector<float> cpu_absmax(blocks), gpu_absmax(blocks);
    std::vector<uint8_t> cpu_q(n), gpu_q(n), cpu_out(n * size), gpu_out(n * size);
    CHECK_OK(bnb_cpu_quantize_blockwise(dtype, code.data(), 256, a.data(), cpu_absmax.data(), blocks, cpu_q.data(), bs,
                                        n));
    CHECK_OK(bnb_cpu_dequantize_blockwise(dtype, code.data(), 256, cpu_q.data(), cpu_absmax.data(), blocks,
                                          cpu_out.data(), bs, n));

    DeviceBuffer d_code(256 * 4), d_a((n + offset) * size), d_absmax(blocks * 4), d_q(n + offset),
        d_out((n + offset) * size);
    upload(d_code.ptr, code.data(), 256 * 4);
    upload(d_a.at<char>(offset * size), a.data(), n * size);
    CHECK_OK(bnb_cuda_memset(d_absmax.ptr, 0xff, blocks * 4, nullptr));
    CHECK_OK(bnb_cuda_quantize_blockwise(dtype, d_code.at<float>(), 256, d_a.at<char>(offset * size),
                                         d_absmax.at<float>(), blocks, d_q.at<uint8_t>(offset), bs, n, nullptr));
    CHECK_OK(bnb_cuda_dequantize_blockwise(dtype, d_code.at<float>(), 256, d_q.at<uint8_t>(offset),
                                           d_absmax.at<float>(), blocks, d_out.at<char>(offset * size), bs, n,
                                           nullptr));
    download(gpu_absmax.data(), d_absmax.ptr, blocks * 4);
    download(gpu_q.data(), d_q.at<char>(offset), n);
    download(gpu_out.data(), d_out.at<char>(offset * size), n * size);

    const char* name = dtype == BNB_F32 ? "f32" : dtype == BNB_F16 ? "f16" : "bf16";
    for (int64_t b = 0; b < blocks; ++b)
        CHECK_OR_RETURN(test::bits_of(cpu_absmax[b]) == test::bits_of(gpu_absmax[b]),
                        "%s n=%lld bs=%lld offset=%d: absmax[%lld] cpu %a gpu %a", name, (long long)n, (long long)bs,
                        offset, (long long)b, cpu_absmax[b], gpu_absmax[b]);
    for (int64_t i = 0; i < n; ++i)
        CHECK_OR_RETURN(cpu_q[i] == gpu_q[i], "%s n=%lld bs=%lld offset=%d: q[%lld] cpu %d gpu %d", name,
                        (long long)n, (long long)bs, offset, (long long)i, cpu_q[i], gpu_q[i]);
    for (int64_t i = 0; i < n; ++i) {
        bool same;
        if (dtype == BNB_F32) {
            float c, g;
            memcpy(&c, &cpu_out[i * 4], 4);
            memcpy(&g, &gpu_out[i * 4], 4);
            same = test::same_float(c, g);
        } else {
            uint16_t c, g;
            memcpy(&c, &cpu_out[i * 2], 2);
            memcpy(&g, &gpu_out[i * 2], 2);
            same = test::same_half_bits(c, g, dtype == BNB_BF16);
        }
        CHECK_OR_RETURN(same, "%s n=%lld bs=%lld offset=%d: dequantized element %lld differs", name, (long long)n,
                        (long long)bs, offset, (long long)i);
    }
}

void test_blockwise() {
    std::vector<std::vector<float>> codes = {test::dynamic_map(), test::linear_map()};
    const int32_t dtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
    for (int32_t dtype : dtypes)
        for (int64_t n : {1, 3, 17, 4095, 4096, 4097, 65537, 1000003}) {
            std::vector<uint8_t> a = make_input(dtype, n, static_cast<uint64_t>(n), true);
            for (int64_t bs : {64, 128, 256, 512, 1024, 2048, 4096})
                for (int offset : {0, 1}) compare_blockwise(dtype, n, bs, offset, codes[n % 2], a);
        }
}

// Codes of every kind (the kernel's search must give quantize_to_code's bytes for all of them), on
// random data with specials and subnormal blocks, and on the floats next to every step of the step
// table, which the device builds (common/quant_search.h): f32 blocks whose maximum is 1.0, so that the
// kernel searches those very floats.
void test_blockwise_codes() {
    Random rng(10);
    std::vector<std::vector<float>> codes;
    codes.push_back(test::dynamic_map());
    codes.push_back(test::linear_map());
    std::vector<float> v(256, 0.0f);
    const float nf4[16] = {-1.0f, -0.6961928f, -0.5250731f, -0.3949175f, -0.2844414f, -0.1847734f,
                           -0.0910500f, 0.0f, 0.0795803f, 0.1609302f, 0.2461123f, 0.3379152f,
                           0.4407098f, 0.5626170f, 0.7229568f, 1.0f};
    std::copy(nf4, nf4 + 16, v.begin());
    std::sort(v.begin(), v.end());
    codes.push_back(v);  // NF4 padded with zeros: repeated values
    for (float& c : v) c = rng.uniform(-1.0f, 1.0f);
    codes.push_back(v);  // not ascending
    std::sort(v.begin(), v.end());
    codes.push_back(v);
    v = test::dynamic_map();
    v[0] = -INFINITY;
    v[255] = INFINITY;
    codes.push_back(v);
    const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-45f, -1e-45f};
    for (float& c : v) c = rng.below(4) == 0 ? odd[rng.below(7)] : rng.uniform(-1.0f, 1.0f);
    codes.push_back(v);  // NaN and infinities, not ascending
    v = test::dynamic_map();
    std::reverse(v.begin(), v.end());
    codes.push_back(v);  // descending
    const int32_t dtypes[] = {BNB_F32, BNB_F16, BNB_BF16};
    for (size_t c = 0; c < codes.size(); ++c) {
        for (int32_t dtype : dtypes)
            for (int64_t n : {5, 4099, 65539}) {
                std::vector<uint8_t> a = make_input(dtype, n, c * 7 + n, true, true);
                for (int64_t bs : {64, 4096})
                    for (int offset : {0, 3}) compare_blockwise(dtype, n, bs, offset, codes[c], a);
            }
        // The floats within 3 steps of every threshold, code value and midpoint with |x| <= 1, in blocks
        // of 64 that each start with 1.0.
        const float* code = codes[c].data();
        std::vector<float> centres;
        for (int j = 0; j < 256; ++j) {
            centres.push_back(code[j]);
            if (j < 255) centres.push_back((code[j] + code[j + 1]) * 0.5f);
        }
        for (int i = 0; i < bnb::QuantizeTable::kEntries; ++i) {  // the steps the table finds
            const uint32_t e = bnb::quantize_table_entry(code, i), off = bnb::QuantizeTable::entry_step(e);
            uint32_t first, last;
            bool regular, huge;
            bnb::QuantizeTable::bucket_keys(i, &first, &last, &regular, &huge);
            if (e != bnb::kStepFallback && off < bnb::QuantizeTable::kNever)
                centres.push_back(bnb::key_float(first + off));
        }
        std::vector<float> x;
        for (float m : centres) {
            if (isnan(m)) continue;
            for (int d = -3; d <= 3; ++d) {
                float y = bnb::key_float(bnb::ordered_key(m) + d);
                if (!(fabsf(y) <= 1.0f)) continue;
                if (x.size() % 64 == 0) x.push_back(1.0f);
                x.push_back(y);
            }
        }
        std::vector<uint8_t> a(x.size() * 4);
        memcpy(a.data(), x.data(), a.size());
        compare_blockwise(BNB_F32, static_cast<int64_t>(x.size()), 64, 0, codes[c], a);
    }
}

void test_large() {
    const int64_t n = (int64_t{1} << 31) + 4097;
    auto start = std::chrono::steady_clock::now();
    std::vector<uint8_t> a = make_input(BNB_BF16, n, 12345, false);
    compare_blockwise(BNB_BF16, n, 4096, 0, test::dynamic_map(), a);
    compare_blockwise(BNB_BF16, n, 64, 0, test::dynamic_map(), a);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    printf("large: n = %lld bf16 compared in %.1f s\n", (long long)n, s);
}

void test_center() {
    Random rng(9);
    for (int64_t n : {1, 1000, (1 << 20) + 7}) {
        std::vector<float> x(n), out(n), cpu_out(n);
        for (float& v : x) v = rng.uniform(0.0f, 2.0f);
        float cpu_mean = 0.0f, gpu_mean = 0.0f;
        CHECK_OK(bnb_cpu_center_f32(x.data(), cpu_out.data(), &cpu_mean, n));
        DeviceBuffer d_x(n * 4), d_out(n * 4), d_mean(4);
        upload(d_x.ptr, x.data(), n * 4);
        CHECK_OK(bnb_cuda_center_f32(d_x.at<float>(), d_out.at<float>(), d_mean.at<float>(), n, nullptr));
        download(&gpu_mean, d_mean.ptr, 4);
        download(out.data(), d_out.ptr, n * 4);
        CHECK(fabsf(gpu_mean - cpu_mean) <= 1e-7f * fabsf(cpu_mean), "n=%lld: mean gpu %.9g cpu %.9g", (long long)n,
              gpu_mean, cpu_mean);
        for (int64_t i = 0; i < n; ++i) CHECK_OR_RETURN(out[i] == x[i] - gpu_mean, "center out[%lld]", (long long)i);
        // In place, then back with add_offset.
        CHECK_OK(bnb_cuda_center_f32(d_x.at<float>(), d_x.at<float>(), d_mean.at<float>(), n, nullptr));
        CHECK_OK(bnb_cuda_add_offset_f32(d_x.at<float>(), d_out.at<float>(), d_mean.at<float>(), n, nullptr));
        std::vector<float> centred(n), back(n);
        download(centred.data(), d_x.ptr, n * 4);
        download(back.data(), d_out.ptr, n * 4);
        for (int64_t i = 0; i < n; ++i) {
            CHECK_OR_RETURN(centred[i] == out[i], "in-place centre [%lld]", (long long)i);
            CHECK_OR_RETURN(back[i] == out[i] + gpu_mean, "add_offset [%lld]", (long long)i);
        }
    }
}

void test_runtime() {
    int32_t built = 0, runtime = 0;
    char archs[64];
    CHECK_OK(bnb_cuda_backend_info(&built, &runtime, archs, sizeof archs));
    printf("backend: built with CUDA %d, runtime %d, archs %s\n", built, runtime, archs);
    CHECK_FAILS(bnb_cuda_backend_info(&built, &runtime, archs, 1), BNB_ERR_INVALID_ARGUMENT);

    int64_t free_bytes = 0, total = 0;
    CHECK_OK(bnb_cuda_mem_get_info(0, &free_bytes, &total));
    CHECK(free_bytes > 0 && total >= free_bytes, "mem_get_info %lld of %lld", (long long)free_bytes, (long long)total);
    void* p = nullptr;
    CHECK_FAILS(bnb_cuda_malloc(0, int64_t{1} << 50, &p), BNB_ERR_OUT_OF_MEMORY);
    printf("out of memory reads: %s\n", bnb_last_error());
    CHECK_FAILS(bnb_cuda_malloc(0, -1, &p), BNB_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(bnb_cuda_set_device(-1), BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cuda_set_device(0));

    void* stream = nullptr;
    void* start = nullptr;
    void* end = nullptr;
    CHECK_OK(bnb_cuda_stream_create(0, &stream));
    CHECK_OK(bnb_cuda_event_create(&start));
    CHECK_OK(bnb_cuda_event_create(&end));
    void* host = nullptr;
    CHECK_OK(bnb_cuda_malloc_host(1 << 20, &host));
    DeviceBuffer dev(1 << 20);
    memset(host, 7, 1 << 20);
    CHECK_OK(bnb_cuda_event_record(start, stream));
    CHECK_OK(bnb_cuda_memcpy(dev.ptr, host, 1 << 20, BNB_COPY_HOST_TO_DEVICE, stream));
    CHECK_OK(bnb_cuda_memset(dev.ptr, 3, 100, stream));
    CHECK_OK(bnb_cuda_memcpy(host, dev.ptr, 1 << 20, BNB_COPY_DEVICE_TO_HOST, stream));
    CHECK_OK(bnb_cuda_event_record(end, stream));
    float ms = -1.0f;
    CHECK_OK(bnb_cuda_event_elapsed(start, end, &ms));
    CHECK(ms >= 0.0f, "elapsed %g ms", ms);
    CHECK(static_cast<uint8_t*>(host)[99] == 3 && static_cast<uint8_t*>(host)[100] == 7, "memset/memcpy round trip");
    CHECK_FAILS(bnb_cuda_memcpy(dev.ptr, host, 16, 9, stream), BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cuda_stream_synchronize(stream));
    CHECK_OK(bnb_cuda_free_host(host));

    void* managed = nullptr;
    int32_t prefetched = -1;
    CHECK_OK(bnb_cuda_malloc_managed(1 << 20, &managed));
    CHECK_OK(bnb_cuda_prefetch(managed, 1 << 20, 0, stream, &prefetched));
    CHECK_OK(bnb_cuda_prefetch(managed, 1 << 20, -1, stream, &prefetched));
    CHECK_OK(bnb_cuda_stream_synchronize(stream));
    printf("prefetch: %s\n", prefetched ? "done" : "not supported by the device");
    CHECK_OK(bnb_cuda_free_managed(managed));

    CHECK_OK(bnb_cuda_event_destroy(start));
    CHECK_OK(bnb_cuda_event_destroy(end));
    CHECK_OK(bnb_cuda_stream_destroy(stream));
    CHECK_FAILS(bnb_cuda_stream_destroy(nullptr), BNB_ERR_INVALID_ARGUMENT);

    DeviceBuffer buf(4096);
    float* f = buf.at<float>();
    uint8_t* q = buf.at<uint8_t>(2048);
    CHECK_FAILS(bnb_cuda_quantize_blockwise(BNB_F32, f, 256, f, f, 1, q, 32, 16, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK(strstr(bnb_last_error(), "4096") != nullptr, "message lists the blocksizes: %s", bnb_last_error());
    CHECK_FAILS(bnb_cuda_dequantize_blockwise(BNB_I32, f, 256, q, f, 1, f, 64, 16, nullptr), BNB_ERR_UNSUPPORTED);
    CHECK_FAILS(bnb_cuda_quantize_blockwise(BNB_F16, f, 256, nullptr, f, 1, q, 64, 16, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    // Buffer lengths that do not fit: refused before any launch (n = 200 at blocksize 64 needs 4 absmax).
    CHECK_FAILS(bnb_cuda_quantize_blockwise(BNB_F32, f, 16, f, f, 4, q, 64, 200, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "code_len must be 256") != nullptr, "message: %s", bnb_last_error());
    CHECK_FAILS(bnb_cuda_dequantize_blockwise(BNB_BF16, f, 256, q, f, 3, f, 64, 200, nullptr),
                BNB_ERR_INVALID_ARGUMENT);
    CHECK(strstr(bnb_last_error(), "absmax_len must be >= ceil(n / blocksize) = 4") != nullptr, "message: %s",
          bnb_last_error());
    CHECK_FAILS(bnb_cuda_center_f32(f, f, f, -1, nullptr), BNB_ERR_INVALID_ARGUMENT);
    CHECK_OK(bnb_cuda_quantize_blockwise(BNB_F16, nullptr, 256, nullptr, nullptr, 0, nullptr, 64, 0, nullptr));
}

}  // namespace

int main(int argc, char** argv) {
    if (int status = test::start_cuda_program("bnb_cuda_tests", argc, argv, " [--large]"); status >= 0) return status;
    test_runtime();
    test_blockwise();
    test_blockwise_codes();
    test_center();
    if (argc > 2 && strcmp(argv[2], "--large") == 0) test_large();
    return test::finish_program("bnb_cuda_tests");
}
