package io.github.bnb4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;
import io.github.bnb4j.core.functional.Int8StateDict;

/**
 * The int8 weight entries of a state dict, as a frozen {@link Linear8bitLt} and {@link Embedding8bit} load them:
 * upstream's {@code weight} (I8 codes), {@code SCB} and optional {@code weight_format}, or a dense float
 * {@code weight}, quantized row-wise.
 */
final class Int8Weights {
    private Int8Weights() {
    }

    /**
     * The frozen weight [rows, cols] of the entries, on {@code device}; marks the entries it reads as used.
     *
     * @throws IllegalArgumentException naming the key for a missing, mis-shaped or wrongly typed entry
     */
    static Int8Params load(StateEntries entries, long rows, long cols, float threshold, Device device) {
        Tensor w = entries.require(Int8StateDict.WEIGHT, "I8 [" + rows + ", " + cols + "] with " + Int8StateDict.SCB
                + ", or a dense float weight");
        return w.dtype() == DType.I8 ? int8(entries, rows, cols, threshold, device)
                : quantizeDense(entries, w, rows, cols, threshold, device);
    }

    private static Int8Params int8(StateEntries entries, long rows, long cols, float threshold, Device device) {
        Map<String, Tensor> own = new LinkedHashMap<>();
        for (String k : new String[] {Int8StateDict.WEIGHT, Int8StateDict.SCB, Int8StateDict.WEIGHT_FORMAT}) {
            if (entries.has(k)) {
                own.put(k, entries.optional(k));
            }
        }
        Int8Params loaded;
        try {
            loaded = Int8Params.fromStateDict(own, "", device, threshold);
        } catch (IllegalArgumentException e) {
            throw entries.error(Int8StateDict.WEIGHT, e);
        }
        if (!Arrays.equals(loaded.int8().cb().shape(), new long[] {rows, cols})) {
            loaded.close();
            throw entries.error(Int8StateDict.WEIGHT, "must be I8 [" + rows + ", " + cols + "], got "
                    + own.get(Int8StateDict.WEIGHT));
        }
        return loaded;
    }

    private static Int8Params quantizeDense(StateEntries entries, Tensor w, long rows, long cols, float threshold,
            Device device) {
        if (!LinearMath.isFloat(w.dtype()) || !Arrays.equals(w.shape(), new long[] {rows, cols})) {
            throw entries.error(Int8StateDict.WEIGHT, "must be I8 codes with SCB, or a dense F32, F16 or BF16 ["
                    + rows + ", " + cols + "], got " + w);
        }
        if (w.device().equals(device)) {
            return Int8Params.quantize(w, threshold);
        }
        try (Tensor here = w.to(device)) {
            return Int8Params.quantize(here, threshold);
        }
    }
}
