package io.github.bnb4j.examples.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.QuantType;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;
import io.github.bnb4j.nn.llama.GenerationOptions;
import io.github.bnb4j.nn.llama.LlamaConfig;
import io.github.bnb4j.nn.llama.LlamaForCausalLM;
import io.github.bnb4j.nn.llama.LlamaLoadOptions;

/**
 * Greedy decoding of a Llama-2-7B-shaped model (hidden 4096, intermediate 11008, 32 layers, 32 heads of 128, vocab
 * 32000) with random weights made on the GPU: batch 1, a 32-token prompt, 64 new tokens, per variant
 * {@code bf16}, {@code int8_th6} (f16 activations, as transformers' {@code load_in_8bit}) and {@code nf4_dq} (bf16
 * compute). One line per variant:
 * {@code {"kind":"decode","model":..,"variant":..,"batch":1,"prompt":32,"new_tokens":64,"tokens_per_s":..,
 * "weight_gb":..,"ms_per_token":..,"prefill_ms":..,"build_s":..}}; {@code tokens_per_s} counts the 63 decode steps
 * after the first token (the median of 3 generations after a warm-up one), {@code weight_gb} the weights as the
 * layers hold them on the device (codes, scales and the 16-bit embedding, norms and {@code lm_head}).
 *
 * <p>Arguments: the variants to run (default all three), and {@code layers=N} for a shallower model (a quick run).
 */
public final class DecodeBenchmark {
    private static final int PROMPT = 32;
    private static final int NEW_TOKENS = 64;
    private static final int RUNS = 3;

    private DecodeBenchmark() {
    }

    public static void main(String[] args) {
        Optional<Device> cuda = BenchmarkGpu.cudaOrExplain("DecodeBenchmark");
        if (cuda.isEmpty()) {
            return;
        }
        int layers = 32;
        List<String> variants = new ArrayList<>();
        for (String a : args) {
            if (a.startsWith("layers=")) {
                layers = Integer.parseInt(a.substring("layers=".length()));
            } else {
                variants.add(a);
            }
        }
        if (variants.isEmpty()) {
            variants = List.of("bf16", "int8_th6", "nf4_dq");
        }
        LlamaConfig config = new LlamaConfig(32000, 4096, 11008, layers, 32, 32, 128, 1e-5, 10000, 4096, false);
        for (String v : variants) {
            run(cuda.get(), config, v);
        }
    }

    private static void run(Device gpu, LlamaConfig config, String variant) {
        LlamaLoadOptions options = options(gpu, variant);
        long start = System.nanoTime();
        try (RandomLlamaWeights weights = new RandomLlamaWeights(gpu);
             LlamaForCausalLM model = LlamaForCausalLM.fromWeights(config, weights, options)) {
            double buildS = (System.nanoTime() - start) / 1e9;
            long[][] prompt = {new Random(32).longs(PROMPT, 0, config.vocabSize()).toArray()};
            model.generate(prompt, GenerationOptions.greedy(8), (step, t) -> { });
            double[] tokensPerS = new double[RUNS];
            double[] prefillMs = new double[RUNS];
            for (int r = 0; r < RUNS; r++) {
                long[] at = new long[NEW_TOKENS];
                long begin = System.nanoTime();
                model.generate(prompt, GenerationOptions.greedy(NEW_TOKENS), (step, t) -> at[step] = System.nanoTime());
                prefillMs[r] = (at[0] - begin) / 1e6;
                tokensPerS[r] = (NEW_TOKENS - 1) / ((at[NEW_TOKENS - 1] - at[0]) / 1e9);
            }
            Arrays.sort(tokensPerS);
            Arrays.sort(prefillMs);
            double tps = tokensPerS[RUNS / 2];
            System.out.println(new JsonLine().put("kind", "decode")
                    .put("model", config.layers() == 32 ? "llama-2-7b-shape" : "llama-2-7b-shape-" + config.layers()
                            + "-layers")
                    .put("variant", variant).put("batch", 1).put("prompt", PROMPT).put("new_tokens", NEW_TOKENS)
                    .put("tokens_per_s", tps).put("weight_gb", model.weightBytes() / 1e9)
                    .put("ms_per_token", 1000 / tps).put("prefill_ms", prefillMs[RUNS / 2]).put("build_s", buildS));
        }
    }

    /** The load options of a variant name. */
    static LlamaLoadOptions options(Device gpu, String variant) {
        LlamaLoadOptions o = LlamaLoadOptions.on(gpu);
        return switch (variant.toLowerCase(Locale.ROOT)) {
            case "bf16" -> o.withDtype(DType.BF16);
            case "f16" -> o.withDtype(DType.F16);
            case "int8_th6" -> o.withDtype(DType.F16).withQuantization(BitsAndBytesConfig.EightBit.defaults());
            case "int8_th0" -> o.withDtype(DType.F16)
                    .withQuantization(BitsAndBytesConfig.EightBit.defaults().withThreshold(0f));
            case "nf4_dq" -> o.withDtype(DType.BF16).withQuantization(BitsAndBytesConfig.FourBit.nf4DoubleQuant(
                    DType.BF16));
            case "nf4" -> o.withDtype(DType.BF16).withQuantization(new BitsAndBytesConfig.FourBit(QuantType.NF4,
                    DType.BF16, false, Blocksize.B64, BitsAndBytesConfig.DEFAULT_SKIP));
            default -> throw new IllegalArgumentException("variant must be one of bf16, f16, int8_th6, int8_th0, nf4,"
                    + " nf4_dq; got " + variant);
        };
    }
}
