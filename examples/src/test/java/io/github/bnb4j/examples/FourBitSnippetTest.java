package io.github.bnb4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import io.github.bnb4j.examples.readme.FourBitSnippet;
import org.junit.jupiter.api.Test;

/** The README's 4-bit example runs, and its product is the dense one within NF4's error. */
class FourBitSnippetTest {
    @Test
    void fourBitExampleMultipliesWithinNf4sError() {
        Random r = new Random(4);
        float[] weight = new float[4096 * 1024];
        float[] input = new float[1024];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < input.length; i++) {
            input[i] = (float) r.nextGaussian();
        }
        FourBitSnippet.Result result = FourBitSnippet.linear(weight, input);
        assertEquals(4096, result.output().length);
        double err = 0;
        double norm = 0;
        for (int j = 0; j < 4096; j++) {
            double dense = 0;
            for (int c = 0; c < 1024; c++) {
                dense += (double) input[c] * weight[j * 1024 + c];
            }
            err += (result.output()[j] - dense) * (result.output()[j] - dense);
            norm += dense * dense;
        }
        // NF4 of N(0, 1) weights has a relative RMS error of about 0.1 per weight, and so does the product
        assertTrue(Math.sqrt(err / norm) < 0.15, "relative error " + Math.sqrt(err / norm));
        assertEquals(List.of("weight.absmax", "weight.quant_map", "weight.nested_absmax", "weight.nested_quant_map",
                "weight.quant_state.bitsandbytes__nf4"), result.stateDictKeys());
    }
}
