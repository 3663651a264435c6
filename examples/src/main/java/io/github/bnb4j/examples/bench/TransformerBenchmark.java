package io.github.bnb4j.examples.bench;

import java.util.Optional;

import io.github.bnb4j.core.CudaStream;
import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.transformer.Attention;
import io.github.bnb4j.core.functional.transformer.AttentionHeads;
import io.github.bnb4j.core.functional.transformer.KvCache;
import io.github.bnb4j.core.functional.transformer.LastDimension;
import io.github.bnb4j.core.functional.transformer.RmsNorm;
import io.github.bnb4j.core.functional.transformer.RotaryEmbedding;

/**
 * The per-token cost of the transformer ops of a Llama-2-7B decode step (hidden 4096, 32 heads of 128, vocab 32000,
 * context 96 as after a 32-token prompt and 64 new tokens), through the Java API, one JSON line per op:
 * {@code {"kind":"transformer","op":..,"dtype":..,"shape":..,"us":..,"call_us":..}}: {@code us} is device time per
 * call (CUDA events over back-to-back calls), {@code call_us} the wall time of one Java call with its host overhead
 * (the time a decode loop pays when the GPU keeps up). {@code decode_layer} is one layer's share (two RMSNorms, RoPE
 * of q and k, attention) without the cache append ({@code kv_append}, two device copies); a 7B token takes 32 layers
 * plus the final norm and argmax.
 */
public final class TransformerBenchmark {
    private static final int HIDDEN = 4096;
    private static final int HEADS = 32;
    private static final int HEAD_DIM = 128;
    private static final int VOCAB = 32000;
    private static final int CONTEXT = 96;
    private static final int CALLS = 200;

    private TransformerBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("TransformerBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        Device gpu = cuda.get();
        DeviceTimer timer = new DeviceTimer(gpu, CALLS, 7);
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            run(gpu, timer, t);
        }
    }

    private static void run(Device gpu, DeviceTimer timer, DType t) {
        AttentionHeads heads = new AttentionHeads(HEADS, HEADS, HEAD_DIM);
        try (Tensor hidden = RandomTensors.gaussian(HIDDEN, t, gpu, 1);
             Tensor weight = RandomTensors.gaussian(HIDDEN, t, gpu, 2);
             Tensor normed = Tensor.empty(t, gpu, 1, HIDDEN);
             Tensor qkv = RandomTensors.gaussian(3L * HIDDEN, t, gpu, 3);
             Tensor attended = Tensor.empty(t, gpu, 1, 1, HEADS, HEAD_DIM);
             Tensor logits = RandomTensors.gaussian(VOCAB, t, gpu, 6);
             Tensor prompt = RandomTensors.gaussian((long) CONTEXT * HIDDEN, t, gpu, 7);
             RotaryEmbedding rope = RotaryEmbedding.create(HEAD_DIM, 10000, gpu);
             KvCache cache = KvCache.create(1, 1, CONTEXT, heads, t, gpu)) {
            Tensor x = hidden.reshape(1, HIDDEN);
            Tensor[] parts = {qkv.narrow(0, HIDDEN), qkv.narrow(HIDDEN, HIDDEN), qkv.narrow(2L * HIDDEN, HIDDEN)};
            Tensor q = parts[0].reshape(1, 1, HEADS, HEAD_DIM);
            Tensor k = parts[1].reshape(1, 1, HEADS, HEAD_DIM);
            Tensor v = parts[2].reshape(1, 1, HEADS, HEAD_DIM);
            Tensor past = prompt.reshape(1, CONTEXT, HEADS, HEAD_DIM);
            cache.append(0, past, past);
            line(gpu, timer, t, "rms_norm", "[1,4096]", () -> RmsNorm.forwardInto(x, weight, 1e-5f, normed));
            line(gpu, timer, t, "rope_qk", "[1,1,32,128] x2", () -> {
                rope.applyInto(q, CONTEXT - 1, q);
                rope.applyInto(k, CONTEXT - 1, k);
            });
            line(gpu, timer, t, "attention_decode", "T1 hq32 hkv32 d128 ctx" + CONTEXT,
                    () -> Attention.causalInto(q, cache, 0, attended));
            line(gpu, timer, t, "argmax", "[32000]", () -> LastDimension.argmax(logits).close());
            // One layer's ops in decode order except the cache append (kv_append below): the cache stays at CONTEXT.
            line(gpu, timer, t, "decode_layer", "7B layer, ctx" + CONTEXT + ", no append", () -> {
                RmsNorm.forwardInto(x, weight, 1e-5f, normed);
                rope.applyInto(q, CONTEXT - 1, q);
                rope.applyInto(k, CONTEXT - 1, k);
                Attention.causalInto(q, cache, 0, attended);
                RmsNorm.forwardInto(x, weight, 1e-5f, normed);
            });
            line(gpu, timer, t, "kv_append", "[1,1,32,128] k+v", () -> {
                cache.reset();
                cache.append(0, k, v);
            });
        }
    }

    private static void line(Device gpu, DeviceTimer timer, DType t, String op, String shape, Runnable work) {
        double ms = timer.medianMs(work);
        CudaStream stream = CudaStream.current(gpu);
        stream.synchronize();
        long start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
            work.run();
        }
        stream.synchronize();
        double callUs = (System.nanoTime() - start) / 1e3 / CALLS;
        System.out.println(new JsonLine().put("kind", "transformer").put("op", op).put("dtype", t.name())
                .put("shape", shape).put("us", ms * 1e3).put("call_us", callUs));
    }
}
