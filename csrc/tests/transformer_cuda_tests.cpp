// The transformer ops of the CUDA plugin (bnb/transformer.h) against the same double-precision references and
// cases as the CPU test program, with and without the split (flash-decoding) path of attention. Usage:
//   bnb_transformer_cuda_tests PATH_TO_libbnb_cudaXY.so
#include "transformer_cases.h"

namespace {

// A device copy of a host buffer, freed at the end of the scope.
struct DeviceBuffer {
    void* ptr = nullptr;
    int64_t bytes = 0;
    explicit DeviceBuffer(int64_t n) : bytes(n) {
        if (n > 0) CHECK_OK(bnb_cuda_malloc(0, n, &ptr));
    }
    DeviceBuffer(const void* host, int64_t n) : DeviceBuffer(n) {
        if (n > 0) CHECK_OK(bnb_cuda_memcpy(ptr, host, n, BNB_COPY_HOST_TO_DEVICE, nullptr));
    }
    explicit DeviceBuffer(const test::Matrix& m) : DeviceBuffer(m.data(), static_cast<int64_t>(m.bytes.size())) {}
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    ~DeviceBuffer() {
        if (ptr != nullptr) bnb_cuda_free(0, ptr);
    }
    // Copies back to host (after the stream's work) when the call succeeded.
    void download(void* host, bnb_status status) const {
        CHECK_OK(bnb_cuda_stream_synchronize(nullptr));
        if (status == BNB_OK && bytes > 0)
            CHECK_OK(bnb_cuda_memcpy(host, ptr, bytes, BNB_COPY_DEVICE_TO_HOST, nullptr));
    }
};

// Output buffers start as a copy of the host's, so that "nothing written" shows after a failed call too.
test::TransformerOps cuda_ops() {
    test::TransformerOps ops;
    ops.rms_norm = [](int32_t dtype, const test::Matrix& x, const test::Matrix& w, test::Matrix* out,
                      std::vector<float>* rstd, float eps) {
        DeviceBuffer dx(x), dw(w), dout(*out), drstd(rstd->data(), static_cast<int64_t>(rstd->size() * 4));
        bnb_status s = bnb_cuda_rms_norm(dtype, dx.ptr, dw.ptr, dout.ptr, static_cast<float*>(drstd.ptr), x.rows,
                                         x.cols, eps, nullptr);
        dout.download(out->data(), s);
        drstd.download(rstd->data(), s);
        return s;
    };
    ops.rms_norm_backward = [](int32_t dtype, const test::Matrix& g, const test::Matrix& x, const test::Matrix& w,
                               test::Matrix* gx, test::Matrix* gw, float eps, int32_t accumulate) {
        DeviceBuffer dg(g), dx(x), dw(w), dgx(*gx), dgw(*gw), drstd(x.rows * 4);
        bnb_status s = bnb_cuda_rms_norm_backward(dtype, dg.ptr, dx.ptr, dw.ptr, dgx.ptr, dgw.ptr,
                                                  static_cast<float*>(drstd.ptr), x.rows, x.cols, eps, accumulate,
                                                  nullptr);
        dgx.download(gx->data(), s);
        dgw.download(gw->data(), s);
        return s;
    };
    ops.rope = [](int32_t dtype, const test::Matrix& x, test::Matrix* out, const std::vector<float>& inv,
                  int64_t batch, int64_t T, int64_t heads, int64_t d, int64_t start) {
        DeviceBuffer dx(x), dout(*out), dinv(inv.data(), static_cast<int64_t>(inv.size() * 4));
        bnb_status s = bnb_cuda_rope(dtype, dx.ptr, dout.ptr, static_cast<const float*>(dinv.ptr), batch, T, heads,
                                     d, start, nullptr);
        dout.download(out->data(), s);
        return s;
    };
    ops.attention = [](int32_t dtype, const test::Matrix& q, const test::Matrix& k, const test::Matrix& v,
                       test::Matrix* out, int64_t batch, int64_t T, int64_t q_heads, int64_t kv_heads, int64_t d,
                       int64_t kv_len, int64_t kv_stride, float scale, int64_t workspace_len) {
        DeviceBuffer dq(q), dk(k), dv(v), dout(*out), dwork(workspace_len * 4);
        bnb_status s = bnb_cuda_attention(dtype, dq.ptr, dk.ptr, dv.ptr, dout.ptr, batch, T, q_heads, kv_heads, d,
                                          kv_len, kv_stride, scale, static_cast<float*>(dwork.ptr), workspace_len,
                                          nullptr);
        dout.download(out->data(), s);
        return s;
    };
    ops.softmax = [](int32_t dtype, const test::Matrix& x, int32_t out_dtype, test::Matrix* out) {
        DeviceBuffer dx(x), dout(*out);
        bnb_status s = bnb_cuda_softmax(dtype, dx.ptr, out_dtype, dout.ptr, x.rows, x.cols, nullptr);
        dout.download(out->data(), s);
        return s;
    };
    ops.argmax = [](int32_t dtype, const test::Matrix& x, std::vector<int64_t>* out) {
        DeviceBuffer dx(x), dout(out->data(), static_cast<int64_t>(out->size() * 8));
        bnb_status s = bnb_cuda_argmax(dtype, dx.ptr, static_cast<int64_t*>(dout.ptr), x.rows, x.cols, nullptr);
        dout.download(out->data(), s);
        return s;
    };
    return ops;
}

// A head dim above the kernel's limit is refused, not computed wrongly.
void unsupported_head_dim_case() {
    DeviceBuffer q(4 * 258), out(4 * 258);
    CHECK_FAILS(bnb_cuda_attention(BNB_F32, q.ptr, q.ptr, q.ptr, out.ptr, 1, 1, 1, 1, 258, 1, 1, 0.1f, nullptr, 0,
                                   nullptr),
                BNB_ERR_UNSUPPORTED);
}

}  // namespace

int main(int argc, char** argv) {
    const int start = test::start_cuda_program("bnb_transformer_cuda_tests", argc, argv);
    if (start >= 0) return start;
    const test::TransformerOps ops = cuda_ops();
    test::rms_norm_cases(ops);
    test::rope_cases(ops);
    test::attention_cases(ops, false);
    test::attention_cases(ops, true);
    test::softmax_argmax_cases(ops);
    test::bad_input_cases(ops);
    unsupported_head_dim_case();
    return test::finish_program("bnb_transformer_cuda_tests");
}
