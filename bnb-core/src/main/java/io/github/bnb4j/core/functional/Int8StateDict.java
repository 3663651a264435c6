package io.github.bnb4j.core.functional;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.Device;
import io.github.bnb4j.core.Tensor;

/**
 * An {@link Int8Weight} as upstream's {@code Linear8bitLt.state_dict} writes it and its load hook reads it: the form
 * of {@code load_in_8bit} checkpoints saved by transformers. With a prefix such as
 * {@code "model.layers.0.mlp.down_proj."} the keys are:
 * <pre>
 *   weight          I8 [N, K]   the codes (CB)
 *   SCB             F32 [N]     each row's absmax
 *   weight_format   U8 []       0: the row-major format, the only one upstream still writes ("row")
 * </pre>
 * The layer's {@code bias} sits beside them under the same prefix and is the layer's business.
 */
public final class Int8StateDict {
    /** The key of the codes, after the prefix. */
    public static final String WEIGHT = "weight";
    /** The key of the row statistics, after the prefix. */
    public static final String SCB = "SCB";
    /** The key of the format marker, after the prefix. */
    public static final String WEIGHT_FORMAT = "weight_format";
    /** {@link #WEIGHT_FORMAT} of the row format: upstream's {@code LINEAR_8BIT_WEIGHTS_FORMAT_MAPPING["row"]}. */
    public static final int ROW_FORMAT = 0;

    private static final Set<DType> INTEGER_TYPES = Set.of(DType.U8, DType.I8, DType.I32, DType.I64);

    private Int8StateDict() {
    }

    /**
     * The entries of {@code weight}, keys prefixed with {@code prefix}, in upstream's order. {@code weight} and
     * {@code SCB} are views of the weight's tensors (closing them frees nothing); {@code weight_format} is a new
     * CPU tensor. The caller closes every entry and the weight separately.
     *
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if a tensor of the weight is closed
     */
    public static Map<String, Tensor> toStateDict(Int8Weight weight, String prefix) {
        Objects.requireNonNull(weight, "weight");
        Objects.requireNonNull(prefix, "prefix");
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(prefix + WEIGHT, weight.cb().reshape(weight.cb().shape()));
        out.put(prefix + SCB, weight.scb().reshape(weight.scb().shape()));
        out.put(prefix + WEIGHT_FORMAT, Tensor.fromBytes(new byte[] {ROW_FORMAT}, DType.U8, Device.cpu()));
        return out;
    }

    /**
     * Reads the int8 weight stored under {@code prefix} (other keys, the bias among them, are ignored), copying its
     * tensors to {@code device}; the new weight owns the copies, {@code dict} keeps its tensors. A missing
     * {@code weight_format} means the row format, as upstream's load hook assumes.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code weight} or {@code SCB} is missing, {@code weight} is not I8 (a
     *                                  weight that was never quantized), {@code SCB} is not F32 [N], or
     *                                  {@code weight_format} is not a single integer 0
     * @throws IllegalStateException    if a tensor of {@code dict} is closed
     */
    public static Int8Weight fromStateDict(Map<String, Tensor> dict, String prefix, Device device) {
        Objects.requireNonNull(dict, "dict");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(device, "device");
        Tensor cb = dict.get(prefix + WEIGHT);
        Tensor scb = dict.get(prefix + SCB);
        if (cb == null) {
            throw new IllegalArgumentException("dict has no '" + prefix + WEIGHT + "'");
        }
        if (cb.dtype() != DType.I8) {
            throw new IllegalArgumentException("'" + prefix + WEIGHT + "' must be the I8 codes of a quantized weight,"
                    + " got " + cb + ": a weight that was never quantized (quantize it with Int8Weight.quantize)");
        }
        if (scb == null) {
            throw new IllegalArgumentException("dict has the int8 '" + prefix + WEIGHT + "' but no '" + prefix + SCB
                    + "' (its row statistics)");
        }
        requireRowFormat(dict.get(prefix + WEIGHT_FORMAT), prefix + WEIGHT_FORMAT);
        new Int8Weight(cb, scb); // checks the pair where it lies, before copying anything
        Tensor cbCopy = cb.to(device);
        try {
            Tensor scbCopy = scb.to(device);
            return new Int8Weight(cbCopy, scbCopy);
        } catch (RuntimeException e) {
            cbCopy.close();
            throw e;
        }
    }

    private static void requireRowFormat(Tensor format, String key) {
        if (format == null) {
            return;
        }
        if (!INTEGER_TYPES.contains(format.dtype()) || format.numel() != 1) {
            throw new IllegalArgumentException("'" + key + "' must be one integer (0: row format), got " + format);
        }
        long value = switch (format.dtype()) { // the array readers copy from any device
            case U8 -> Byte.toUnsignedLong(format.toByteArray()[0]);
            case I8 -> format.toByteArray()[0];
            case I32 -> format.toIntArray()[0];
            default -> format.toLongArray()[0];
        };
        if (value != ROW_FORMAT) {
            throw new IllegalArgumentException("'" + key + "' must be " + ROW_FORMAT + " (the row format, the only one"
                    + " upstream reads), got " + value);
        }
    }
}
