package io.github.bnb4j.examples.readme;

import java.io.IOException;
import java.nio.file.Path;

// README llama
import io.github.bnb4j.core.*;
import io.github.bnb4j.nn.hf.BitsAndBytesConfig;
import io.github.bnb4j.nn.llama.*;

// README end

/**
 * The code of the README's Llama example, compiled; {@code ReadmeCodeTest} checks that the README shows exactly the
 * marked region and {@code LlamaSnippetTest} runs it on the tiny checkpoint of the test data.
 */
public final class LlamaSnippet {
    private LlamaSnippet() {
    }

    /** Loads {@code folder} in NF4 with double quant and generates 8 tokens after {@code promptIds}, streaming them. */
    public static long[][] generate(Path folder, long[] promptIds, StringBuilder printed) throws IOException {
        long[][] tokens;
        // README llama
        LlamaLoadOptions options = LlamaLoadOptions.on(Device.best()).withDtype(DType.BF16)
                .withQuantization(BitsAndBytesConfig.FourBit.nf4DoubleQuant(DType.BF16));   // load_in_4bit
        try (LlamaForCausalLM model = LlamaForCausalLM.load(folder, options)) {
            tokens = model.generate(new long[][] {promptIds}, GenerationOptions.greedy(8),
                    (step, next) -> printed.append(next[0]).append(' '));                // as they come
        }
        // README end
        return tokens;
    }
}
