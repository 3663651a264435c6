package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.FourBitOptions;

/**
 * The 4-bit weight entries of a state dict, as {@link Linear4bit} and {@link Embedding4bit} load them: upstream's
 * pre-quantized entries ({@code weight} U8 codes, {@code weight.absmax}, {@code weight.quant_map}, ...,
 * {@code weight.quant_state.bitsandbytes__nf4|fp4}), whose quant type must be the layer's (blocksize and nesting are
 * the checkpoint's), or a dense float {@code weight}, quantized with the layer's options.
 */
final class FourBitWeights {
    private FourBitWeights() {
    }

    /**
     * The weight [rows, cols] of the entries, on {@code device}; marks the entries it reads as used.
     *
     * @throws IllegalArgumentException naming the key for a missing, mis-shaped, wrongly typed or corrupted entry
     */
    static Params4bit load(StateEntries entries, long rows, long cols, FourBitOptions options, Device device) {
        Tensor w = entries.require("weight", "U8 packed 4-bit codes with its quant state, or a dense float [" + rows
                + ", " + cols + "]");
        boolean prequantized = entries.keys().stream().anyMatch(k -> k.startsWith("weight."));
        return prequantized ? prequantized(entries, w, rows, cols, options, device)
                : quantizeDense(entries, w, rows, cols, options, device);
    }

    private static Params4bit prequantized(StateEntries entries, Tensor w, long rows, long cols,
            FourBitOptions options, Device device) {
        Map<String, Tensor> stats = new LinkedHashMap<>();
        for (String k : entries.keys()) {
            if (k.startsWith("weight.")) {
                stats.put(k, entries.optional(k));
            }
        }
        Params4bit loaded;
        try {
            loaded = Params4bit.fromPrequantized(w, stats, "weight.", device);
        } catch (IllegalArgumentException e) {
            throw entries.error("weight", e);
        }
        long[] shape = loaded.state().shape();
        if (!Arrays.equals(shape, new long[] {rows, cols}) || loaded.quantType() != options.quantType()) {
            loaded.close();
            throw entries.error("weight", "must be a " + options.quantType() + " weight of shape [" + rows + ", "
                    + cols + "], got " + loaded.state());
        }
        return loaded;
    }

    private static Params4bit quantizeDense(StateEntries entries, Tensor w, long rows, long cols,
            FourBitOptions options, Device device) {
        if (!LinearMath.isFloat(w.dtype()) || !Arrays.equals(w.shape(), new long[] {rows, cols})) {
            throw entries.error("weight", "must be a dense F32, F16 or BF16 [" + rows + ", " + cols
                    + "] (or U8 codes with their quant state), got " + w);
        }
        if (w.device().equals(device)) {
            return Params4bit.quantize(w, options);
        }
        try (Tensor here = w.to(device)) {
            return Params4bit.quantize(here, options);
        }
    }
}
