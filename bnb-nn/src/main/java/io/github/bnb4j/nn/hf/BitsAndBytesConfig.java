package io.github.bnb4j.nn.hf;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

import io.github.bnb4j.core.DType;
import io.github.bnb4j.core.functional.Blocksize;
import io.github.bnb4j.core.functional.QuantType;

/**
 * How a checkpoint's linear layers are quantized as they load: transformers' {@code BitsAndBytesConfig}, typed. An
 * {@link EightBit} config makes them {@code Linear8bitLt} (LLM.int8()), a {@link FourBit} config {@code Linear4bit}.
 * The modules named in {@link #skipModules()} (by default {@code lm_head}, as transformers keeps the output layer)
 * stay in 16 bits.
 *
 * <p>A pre-quantized checkpoint carries its config in {@code config.json} ({@code quantization_config}); a config
 * given for such a checkpoint must agree with it on the storage (8 or 4 bits, the 4-bit type and double quant), see
 * {@link #requireCompatibleWith}.
 */
public sealed interface BitsAndBytesConfig permits BitsAndBytesConfig.EightBit, BitsAndBytesConfig.FourBit {
    /** transformers' default for {@code llm_int8_skip_modules} / {@code modules_to_not_convert}. */
    List<String> DEFAULT_SKIP = List.of("lm_head");

    /** Dotted module names (or name components) that are not quantized. */
    List<String> skipModules();

    /**
     * Whether the module with dotted name {@code moduleName} stays unquantized: an entry equals the name, or a run of
     * its dot-separated components ({@code lm_head} matches {@code lm_head} and {@code model.lm_head}).
     */
    default boolean skips(String moduleName) {
        String padded = "." + moduleName + ".";
        return skipModules().stream().anyMatch(s -> padded.contains("." + s + "."));
    }

    /**
     * LLM.int8(): {@code load_in_8bit=True}.
     *
     * @param threshold      {@code llm_int8_threshold}: input columns with a value of magnitude at least this are
     *                       multiplied in 16 bits; 0 turns the decomposition off (finite, at least 0)
     * @param hasFp16Weights {@code llm_int8_has_fp16_weight}: keep 16-bit weights for training
     * @param skipModules    modules kept in 16 bits
     */
    record EightBit(float threshold, boolean hasFp16Weights, List<String> skipModules) implements BitsAndBytesConfig {
        /** @throws IllegalArgumentException if {@code threshold} is negative or not finite */
        public EightBit {
            if (!(threshold >= 0) || Float.isInfinite(threshold)) {
                throw new IllegalArgumentException("threshold must be finite and >= 0, got " + threshold);
            }
            skipModules = List.copyOf(skipModules);
        }

        /** transformers' defaults: threshold 6, int8 weights only, {@code lm_head} kept. */
        public static EightBit defaults() {
            return new EightBit(6f, false, DEFAULT_SKIP);
        }

        /** This config with another threshold. */
        public EightBit withThreshold(float value) {
            return new EightBit(value, hasFp16Weights, skipModules);
        }
    }

    /**
     * QLoRA's 4-bit storage: {@code load_in_4bit=True}.
     *
     * @param quantType    {@code bnb_4bit_quant_type}
     * @param computeDtype {@code bnb_4bit_compute_dtype}: F32, F16 or BF16
     * @param doubleQuant  {@code bnb_4bit_use_double_quant}: the absmax is itself 8-bit quantized (nested)
     * @param blocksize    values per absmax (transformers always uses 64)
     * @param skipModules  modules kept in 16 bits
     */
    record FourBit(QuantType quantType, DType computeDtype, boolean doubleQuant, Blocksize blocksize,
                   List<String> skipModules) implements BitsAndBytesConfig {
        /** @throws IllegalArgumentException if {@code computeDtype} is not F32, F16 or BF16 */
        public FourBit {
            Objects.requireNonNull(quantType, "quantType");
            Objects.requireNonNull(blocksize, "blocksize");
            if (computeDtype != DType.F32 && computeDtype != DType.F16 && computeDtype != DType.BF16) {
                throw new IllegalArgumentException("computeDtype must be F32, F16 or BF16, got " + computeDtype);
            }
            skipModules = List.copyOf(skipModules);
        }

        /** NF4 with double quant and {@code computeDtype} compute, block 64, {@code lm_head} kept: the QLoRA recipe. */
        public static FourBit nf4DoubleQuant(DType computeDtype) {
            return new FourBit(QuantType.NF4, computeDtype, true, Blocksize.B64, DEFAULT_SKIP);
        }

        /** This config with another type. */
        public FourBit withQuantType(QuantType value) {
            return new FourBit(value, computeDtype, doubleQuant, blocksize, skipModules);
        }

        /** This config with or without double quant. */
        public FourBit withDoubleQuant(boolean value) {
            return new FourBit(quantType, computeDtype, value, blocksize, skipModules);
        }
    }

    /**
     * Throws unless this config can load a checkpoint pre-quantized with {@code stored}: the same number of bits,
     * and for 4 bits the same type and double quant. Runtime settings (threshold, compute dtype) may differ: this
     * config's apply.
     *
     * @param stored the checkpoint's {@code quantization_config}
     * @param file   the checkpoint's {@code config.json}, named in the error
     * @throws CheckpointException naming both values when they contradict
     */
    default void requireCompatibleWith(BitsAndBytesConfig stored, java.nio.file.Path file) {
        Objects.requireNonNull(stored, "stored");
        if (this instanceof EightBit != stored instanceof EightBit) {
            throw new CheckpointException(file, "the checkpoint is quantized as " + stored
                    + ", which the requested " + this + " contradicts");
        }
        if (this instanceof FourBit mine && stored instanceof FourBit theirs
                && (mine.quantType() != theirs.quantType() || mine.doubleQuant() != theirs.doubleQuant())) {
            throw new CheckpointException(file, "the checkpoint is quantized as " + theirs.quantType()
                    + (theirs.doubleQuant() ? " with" : " without") + " double quant; the requested config asks for "
                    + mine.quantType() + (mine.doubleQuant() ? " with" : " without") + " double quant");
        }
    }

    /**
     * Reads transformers' {@code quantization_config} object ({@code quant_method} "bitsandbytes").
     *
     * @throws CheckpointException if the method is not bitsandbytes, neither or both of 8 and 4 bits are asked for,
     *                             or a value is of the wrong type or out of range
     */
    static BitsAndBytesConfig fromQuantizationConfig(ConfigJson q) {
        String method = q.stringOr("quant_method", "bitsandbytes");
        if (!method.equals("bitsandbytes")) {
            throw q.invalid("quant_method", "\"" + method + "\" is not supported; only \"bitsandbytes\" is");
        }
        boolean eight = q.booleanOr("load_in_8bit", false);
        boolean four = q.booleanOr("load_in_4bit", false);
        if (eight == four) {
            throw q.invalid("load_in_8bit", "exactly one of load_in_8bit and load_in_4bit must be true, found "
                    + eight + " and " + four);
        }
        List<String> skip = q.has("llm_int8_skip_modules") ? q.stringsOr("llm_int8_skip_modules") : DEFAULT_SKIP;
        if (eight) {
            double threshold = q.doubleOr("llm_int8_threshold", 6.0);
            try {
                return new EightBit((float) threshold, q.booleanOr("llm_int8_has_fp16_weight", false), skip);
            } catch (IllegalArgumentException e) {
                throw q.invalid("llm_int8_threshold", e.getMessage());
            }
        }
        String type = q.stringOr("bnb_4bit_quant_type", "fp4");
        QuantType quantType = switch (type) {
            case "nf4" -> QuantType.NF4;
            case "fp4" -> QuantType.FP4;
            default -> throw q.invalid("bnb_4bit_quant_type", "\"" + type + "\" is not \"nf4\" or \"fp4\"");
        };
        String storage = q.stringOr("bnb_4bit_quant_storage", "uint8");
        if (!storage.equals("uint8")) {
            throw q.invalid("bnb_4bit_quant_storage", "\"" + storage + "\" is not supported; only \"uint8\" is");
        }
        return new FourBit(quantType, torchDtype(q, "bnb_4bit_compute_dtype", DType.F32),
                q.booleanOr("bnb_4bit_use_double_quant", false), Blocksize.B64, skip);
    }

    /**
     * A torch dtype name of a config ({@code "bfloat16"}, {@code "torch.float16"}, {@code "float32"}...) as a DType.
     *
     * @throws CheckpointException if the name is not one of float32, float16, bfloat16 (and their aliases)
     */
    static DType torchDtype(ConfigJson json, String key, DType fallback) {
        if (!json.has(key)) {
            return fallback;
        }
        String name = json.requireString(key).toLowerCase(Locale.ROOT).replace("torch.", "");
        return switch (name) {
            case "float32", "float" -> DType.F32;
            case "float16", "half" -> DType.F16;
            case "bfloat16" -> DType.BF16;
            default -> throw json.invalid(key, "\"" + name + "\" is not float32, float16 or bfloat16");
        };
    }
}
