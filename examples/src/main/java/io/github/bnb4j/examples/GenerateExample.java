package io.github.bnb4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.nn.llama.GenerationOptions;
import io.github.bnb4j.nn.llama.LlamaForCausalLM;

/**
 * Loads a Hugging Face Llama checkpoint folder in 16, 8 or 4 bits and generates greedily from a prompt of token ids,
 * printing each token as it comes, then the load time, the weight memory and the speed.
 *
 * <pre>
 *   GenerateExample [folder] [mode] [prompt ids] [new tokens]
 *     folder      a checkpoint folder (config.json, model.safetensors or a sharded index);
 *                 default bnb-nn/src/test/resources/models/tiny-llama-public (random weights: the tokens mean nothing)
 *     mode        f32 | f16 | bf16 | int8 | int8_th0 | nf4 | nf4_dq | fp4 | stored (default nf4_dq)
 *     prompt ids  comma-separated token ids (default 1,450,1014,1600,1701)
 *     new tokens  default 16
 * </pre>
 */
public final class GenerateExample {
    private static final String DEFAULT_FOLDER = "bnb-nn/src/test/resources/models/tiny-llama-public";

    private GenerateExample() {
    }

    public static void main(String[] args) throws IOException {
        Path folder = locate(args.length > 0 ? args[0] : DEFAULT_FOLDER);
        GenerateMode mode = GenerateMode.parse(args.length > 1 ? args[1] : "nf4_dq");
        long[] prompt = Arrays.stream((args.length > 2 ? args[2] : "1,450,1014,1600,1701").split(","))
                .map(String::trim).mapToLong(Long::parseLong).toArray();
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Device device = Device.best();

        long start = System.nanoTime();
        try (LlamaForCausalLM model = LlamaForCausalLM.load(folder, mode.options(device))) {
            double loadS = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "loaded %s as %s on %s in %.2f s: %d layers, weights %.1f MB (%s)%n",
                    folder, mode.name().toLowerCase(Locale.ROOT), device, loadS, model.config().layers(),
                    model.weightBytes() / 1e6, model.dtype());
            System.out.print("prompt " + Arrays.toString(prompt) + " ->");
            long[] times = new long[newTokens];
            long begin = System.nanoTime();
            model.generate(new long[][] {prompt}, GenerationOptions.greedy(newTokens), (step, tokens) -> {
                times[step] = System.nanoTime();
                System.out.print(" " + tokens[0]);
                System.out.flush();
            });
            System.out.println();
            double firstMs = (times[0] - begin) / 1e6;
            double decodeS = (times[newTokens - 1] - times[0]) / 1e9;
            System.out.printf(Locale.ROOT, "first token (prefill of %d) %.1f ms; %d more tokens at %.1f tokens/s%n",
                    prompt.length, firstMs, newTokens - 1, newTokens > 1 ? (newTokens - 1) / decodeS : 0.0);
        }
    }

    /** The folder as given, or relative to the parent directory (when run from the examples module). */
    private static Path locate(String name) {
        Path path = Path.of(name);
        Path parent = Path.of("..").resolve(name);
        return !Files.isDirectory(path) && Files.isDirectory(parent) ? parent : path;
    }
}
