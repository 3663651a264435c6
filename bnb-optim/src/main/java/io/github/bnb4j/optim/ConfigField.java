package io.github.bnb4j.optim;

import java.util.function.BiConsumer;
import java.util.function.Function;

import io.github.bnb4j.core.functional.optim.StateBits;

/**
 * The components of {@link OptimConfig} under upstream's key names, so that one table serves the string-key
 * adapter ({@link ParamOverride#fromUpstream}) and the checkpoint metadata, and the two cannot drift apart.
 */
enum ConfigField {
    LR("lr", OptimConfig::lr, ParamOverride::lr, (b, v) -> b.lr(UpstreamValues.toFloat("lr", v))),
    BETA1("beta1", OptimConfig::beta1, ParamOverride::beta1, (b, v) -> b.beta1(UpstreamValues.toFloat("beta1", v))),
    BETA2("beta2", OptimConfig::beta2, ParamOverride::beta2, (b, v) -> b.beta2(UpstreamValues.toFloat("beta2", v))),
    BETA3("beta3", OptimConfig::beta3, ParamOverride::beta3, (b, v) -> b.beta3(UpstreamValues.toFloat("beta3", v))),
    ALPHA("alpha", OptimConfig::alpha, ParamOverride::alpha, (b, v) -> b.alpha(UpstreamValues.toFloat("alpha", v))),
    T_ALPHA("t_alpha", OptimConfig::tAlpha, ParamOverride::tAlpha,
            (b, v) -> b.tAlpha(UpstreamValues.toInt("t_alpha", v))),
    T_BETA3("t_beta3", OptimConfig::tBeta3, ParamOverride::tBeta3,
            (b, v) -> b.tBeta3(UpstreamValues.toInt("t_beta3", v))),
    EPS("eps", OptimConfig::eps, ParamOverride::eps, (b, v) -> b.eps(UpstreamValues.toFloat("eps", v))),
    WEIGHT_DECAY("weight_decay", OptimConfig::weightDecay, ParamOverride::weightDecay,
            (b, v) -> b.weightDecay(UpstreamValues.toFloat("weight_decay", v))),
    OPTIM_BITS("optim_bits", OptimConfig::optimBits, ParamOverride::optimBits,
            (b, v) -> b.optimBits(UpstreamValues.toStateBits("optim_bits", v))),
    MIN_8BIT_SIZE("min_8bit_size", OptimConfig::minEightBitSize, ParamOverride::minEightBitSize,
            (b, v) -> b.minEightBitSize(UpstreamValues.toLong("min_8bit_size", v))),
    MAX_UNORM("max_unorm", OptimConfig::maxUnorm, ParamOverride::maxUnorm,
            (b, v) -> b.maxUnorm(UpstreamValues.toFloat("max_unorm", v))),
    PERCENTILE_CLIPPING("percentile_clipping", OptimConfig::percentileClipping, ParamOverride::percentileClipping,
            (b, v) -> b.percentileClipping(UpstreamValues.toInt("percentile_clipping", v))),
    SKIP_ZEROS("skip_zeros", OptimConfig::skipZeros, ParamOverride::skipZeros,
            (b, v) -> b.skipZeros(UpstreamValues.toBoolean("skip_zeros", v)));

    private final String key;
    private final Function<OptimConfig, Object> fromConfig;
    private final Function<ParamOverride, Object> fromOverride;
    private final BiConsumer<ParamOverride.Builder, Object> setter;

    ConfigField(String key, Function<OptimConfig, Object> fromConfig, Function<ParamOverride, Object> fromOverride,
            BiConsumer<ParamOverride.Builder, Object> setter) {
        this.key = key;
        this.fromConfig = fromConfig;
        this.fromOverride = fromOverride;
        this.setter = setter;
    }

    /** Upstream's name of the component. */
    String key() {
        return key;
    }

    /** The component of a full configuration. */
    Object get(OptimConfig config) {
        return fromConfig.apply(config);
    }

    /** The component of an override, or null when it is not set. */
    Object get(ParamOverride override) {
        return fromOverride.apply(override);
    }

    /** Sets the component from a typed value or its text. */
    void set(ParamOverride.Builder builder, Object value) {
        setter.accept(builder, value);
    }

    /** The value as checkpoint metadata writes it; {@link #set} parses it back exactly. */
    static String format(Object value) {
        return value instanceof StateBits bits ? Integer.toString(bits.bits()) : String.valueOf(value);
    }

    /**
     * The field named {@code key}.
     *
     * @throws IllegalArgumentException if no field has that name
     */
    static ConfigField byKey(String key) {
        for (ConfigField field : values()) {
            if (field.key.equals(key)) {
                return field;
            }
        }
        throw new IllegalArgumentException("config key must be one of betas, " + keys() + ", got \"" + key + "\"");
    }

    private static String keys() {
        StringBuilder sb = new StringBuilder();
        for (ConfigField field : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(field.key);
        }
        return sb.toString();
    }
}
